import fs from "node:fs";
import path from "node:path";
import { parse } from "smol-toml";
import { z } from "zod";

/** supabase/config.toml as a table (empty when there is none), as the Supabase CLI reads it. */
export function readConfigToml(root: string): Record<string, unknown> {
  const file = path.join(root, "supabase", "config.toml");
  return fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {};
}

/** Supabase CLI's defaults for `[api] max_rows` and `[api] schemas`. */
const DEFAULT_MAX_ROWS = 1000;
const DEFAULT_SCHEMAS = ["public", "graphql_public"];

export type ApiConfig = {
  /** PostgREST's db-max-rows: the most rows any read returns (Supabase's 1000-row cap, which an app meets first in production when nothing applies it locally). Both REST engines get the same value. */
  maxRows: number;
  /** PostgREST's db-schemas: the schemas a request may name with Accept-Profile/Content-Profile, the first being the default. */
  schemas: string[];
};

/**
 * `[api]` from supabase/config.toml, the settings hosted Supabase takes from the dashboard and
 * `supabase start` from this file. Only what the gateway acts on.
 */
export function readApiConfig(root: string): ApiConfig {
  const api = (readConfigToml(root).api ?? {}) as { max_rows?: unknown; schemas?: unknown };
  const maxRows = api.max_rows ?? DEFAULT_MAX_ROWS;
  if (typeof maxRows !== "number" || !Number.isInteger(maxRows) || maxRows < 0) {
    throw new Error(`supabase/config.toml: [api] max_rows must be a whole number of rows, not ${JSON.stringify(maxRows)}`);
  }
  const schemas = api.schemas ?? DEFAULT_SCHEMAS;
  if (!Array.isArray(schemas) || schemas.length === 0 || !schemas.every((s) => typeof s === "string" && s.length > 0)) {
    throw new Error(`supabase/config.toml: [api] schemas must be a list of schema names, not ${JSON.stringify(schemas)}`);
  }
  return { maxRows, schemas };
}

/** GoTrue's `password_requirements` values, each a list of character sets a password needs one of. */
export const PASSWORD_REQUIREMENTS = ["", "letters_digits", "lower_upper_letters_digits", "lower_upper_letters_digits_symbols"] as const;
export type PasswordRequirements = (typeof PASSWORD_REQUIREMENTS)[number];

/** `[auth.rate_limit]`: GoTrue's limits, named as in the Supabase CLI's config.toml. */
export type AuthRateLimits = {
  /** Emails sent per hour, for the whole project. */
  emailSent: number;
  /** Sign-ups, OTP and magic-link requests, recoveries, resends and user updates, per IP per 5 minutes (GoTrue's RATE_LIMIT_OTP). */
  signInSignUps: number;
  /** Token grants (password sign-ins and refreshes) per IP per 5 minutes (GoTrue's RATE_LIMIT_TOKEN_REFRESH). */
  tokenRefresh: number;
  /** OTP and link verifications (/verify) per IP per 5 minutes. */
  tokenVerifications: number;
  /** Anonymous sign-ins per IP per hour. */
  anonymousUsers: number;
};

export type AuthConfig = {
  /** `jwt_secret`, as the CLI takes it (otherwise JWT_SECRET or the one generated into .data). */
  jwtSecret: string | null;
  /** `signing_keys_path`, resolved against supabase/ as the CLI resolves it. */
  signingKeysPath: string | null;
  enableAnonymousSignIns: boolean;
  enableManualLinking: boolean;
  mfa: { maxEnrolledFactors: number; totp: { enrollEnabled: boolean; verifyEnabled: boolean }; webAuthn: { enrollEnabled: boolean; verifyEnabled: boolean } };
  /** `[auth.passkey]`: passkey sign-ins (GoTrue's GOTRUE_PASSKEY_*), with the relying party of `[auth.webauthn]`. */
  passkey: { enabled: boolean; maxPasskeysPerUser: number };
  /** `[auth.webauthn]`: the WebAuthn relying party passkeys and WebAuthn MFA factors use (GOTRUE_WEBAUTHN_*). */
  webauthn: { rpId: string; rpDisplayName: string; rpOrigins: string[] };
  /** `[auth.oauth_server]`: GoTrue as an OAuth 2.1 authorization server (GOTRUE_OAUTH_SERVER_*). */
  oauthServer: { enabled: boolean; authorizationUrlPath: string; allowDynamicRegistration: boolean };
  siteUrl: string;
  additionalRedirectUrls: string[];
  jwtExpiry: number;
  enableSignup: boolean;
  minimumPasswordLength: number;
  passwordRequirements: PasswordRequirements;
  email: { enableSignup: boolean; enableConfirmations: boolean; doubleConfirmChanges: boolean; maxFrequency: string; otpLength: number; otpExpiry: number };
  rateLimit: AuthRateLimits;
};

const count = z.number().int().min(0);
// Defaults are the Supabase CLI's for a key left out, except where its comment says otherwise.
const authSchema = z.object({
  jwt_secret: z.string().min(32, "must be at least 32 characters").optional(),
  signing_keys_path: z.string().optional(),
  enable_anonymous_sign_ins: z.boolean().default(false),
  enable_manual_linking: z.boolean().default(false),
  // TOTP is on by default, as in GoTrue and on hosted projects.
  mfa: z
    .object({
      max_enrolled_factors: count.default(10),
      totp: z.object({ enroll_enabled: z.boolean().default(true), verify_enabled: z.boolean().default(true) }).prefault({}),
      web_authn: z.object({ enroll_enabled: z.boolean().default(false), verify_enabled: z.boolean().default(false) }).prefault({}),
    })
    .prefault({}),
  passkey: z.object({ enabled: z.boolean().default(false), max_passkeys_per_user: z.number().int().min(1).default(10) }).prefault({}),
  // The CLI leaves these empty; GoTrue then refuses WebAuthn ceremonies, as here (passkeys.ts).
  webauthn: z.object({ rp_id: z.string().default(""), rp_display_name: z.string().default(""), rp_origins: z.array(z.string()).default([]) }).prefault({}),
  oauth_server: z
    .object({ enabled: z.boolean().default(false), authorization_url_path: z.string().default("/oauth/consent"), allow_dynamic_registration: z.boolean().default(false) })
    .prefault({}),
  site_url: z.string().url().default("http://127.0.0.1:3000"),
  additional_redirect_urls: z.array(z.string()).default([]),
  jwt_expiry: z.number().int().positive().default(3600),
  enable_signup: z.boolean().default(true),
  // GoTrue refuses less than 6; Supabase recommends 8 or more.
  minimum_password_length: z.number().int().min(6).default(6),
  password_requirements: z.enum(PASSWORD_REQUIREMENTS).default(""),
  email: z
    .object({
      enable_signup: z.boolean().default(true),
      enable_confirmations: z.boolean().default(false),
      double_confirm_changes: z.boolean().default(true),
      max_frequency: z.string().default("1s"),
      otp_length: z.number().int().min(6).max(10).default(6),
      otp_expiry: z.number().int().positive().default(3600),
    })
    .prefault({}),
  rate_limit: z
    .object({
      email_sent: count.default(2),
      sign_in_sign_ups: count.default(30),
      token_refresh: count.default(150),
      token_verifications: count.default(30),
      anonymous_users: count.default(30),
    })
    .prefault({}),
});

/**
 * `[auth]` from supabase/config.toml: what `supabase start` hands GoTrue and hosted Supabase keeps in the
 * dashboard. Unknown keys are left alone (the CLI's file has many the embedded default does not act on);
 * a known key with a bad value stops the start with a sentence.
 */
export function readAuthConfig(root: string): AuthConfig {
  const parsed = authSchema.safeParse((readConfigToml(root).auth as object | undefined) ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `[auth] ${i.path.join(".")}: ${i.message}`);
    throw new Error(`supabase/config.toml:\n  ${lines.join("\n  ")}`);
  }
  const a = parsed.data;
  return {
    jwtSecret: a.jwt_secret ?? null,
    signingKeysPath: a.signing_keys_path ? path.resolve(root, "supabase", a.signing_keys_path) : null,
    enableAnonymousSignIns: a.enable_anonymous_sign_ins,
    enableManualLinking: a.enable_manual_linking,
    mfa: {
      maxEnrolledFactors: a.mfa.max_enrolled_factors,
      totp: { enrollEnabled: a.mfa.totp.enroll_enabled, verifyEnabled: a.mfa.totp.verify_enabled },
      webAuthn: { enrollEnabled: a.mfa.web_authn.enroll_enabled, verifyEnabled: a.mfa.web_authn.verify_enabled },
    },
    passkey: { enabled: a.passkey.enabled, maxPasskeysPerUser: a.passkey.max_passkeys_per_user },
    webauthn: { rpId: a.webauthn.rp_id, rpDisplayName: a.webauthn.rp_display_name, rpOrigins: a.webauthn.rp_origins },
    oauthServer: { enabled: a.oauth_server.enabled, authorizationUrlPath: a.oauth_server.authorization_url_path, allowDynamicRegistration: a.oauth_server.allow_dynamic_registration },
    siteUrl: a.site_url,
    additionalRedirectUrls: a.additional_redirect_urls,
    jwtExpiry: a.jwt_expiry,
    enableSignup: a.enable_signup,
    minimumPasswordLength: a.minimum_password_length,
    passwordRequirements: a.password_requirements,
    email: {
      enableSignup: a.email.enable_signup,
      enableConfirmations: a.email.enable_confirmations,
      doubleConfirmChanges: a.email.double_confirm_changes,
      maxFrequency: a.email.max_frequency,
      otpLength: a.email.otp_length,
      otpExpiry: a.email.otp_expiry,
    },
    rateLimit: {
      emailSent: a.rate_limit.email_sent,
      signInSignUps: a.rate_limit.sign_in_sign_ups,
      tokenRefresh: a.rate_limit.token_refresh,
      tokenVerifications: a.rate_limit.token_verifications,
      anonymousUsers: a.rate_limit.anonymous_users,
    },
  };
}

/** `[inbucket]`: the local mail catcher (the CLI's Mailpit, on 54324). */
export function readInbucketConfig(root: string): { enabled: boolean; port: number; smtp_port: number } {
  const parsed = z
    .object({ enabled: z.boolean().default(true), port: z.number().int().min(0).max(65535).default(54324), smtp_port: z.number().int().min(0).max(65535).default(54325) })
    .safeParse((readConfigToml(root).inbucket as object | undefined) ?? {});
  if (!parsed.success) throw new Error(`supabase/config.toml: [inbucket] ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}
