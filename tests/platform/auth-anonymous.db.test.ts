import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, freePort, startStack, type Stack } from "@review/local-supabase";
import { client, closeSql, getStack } from "../helpers/stack.ts";
import { GENEROUS_AUTH_LIMITS } from "../helpers/own-stack.ts";

/**
 * Anonymous sign-ins follow `[auth] enable_anonymous_sign_ins`: off in this project's config.toml (and
 * by default), on for a stack whose config.toml turns them on.
 */
const repo = path.resolve(import.meta.dirname, "..", "..");
let stack: Stack;
let root: string;

beforeAll(async () => {
  const runs = path.join(repo, ".data", "test-runs");
  fs.mkdirSync(runs, { recursive: true });
  root = fs.mkdtempSync(path.join(runs, "anonymous-"));
  fs.chmodSync(root, 0o755); // Postgres runs as its own system user when tests run as root
  fs.cpSync(path.join(repo, "supabase"), path.join(root, "supabase"), { recursive: true });
  // Functions live beside supabase/ in this repository; this stack serves none of them.
  const toml = fs.readFileSync(path.join(root, "supabase", "config.toml"), "utf8");
  fs.writeFileSync(path.join(root, "supabase", "config.toml"), toml.replace(/^enable_anonymous_sign_ins = false$/m, "enable_anonymous_sign_ins = true"));
  stack = await startStack({ root, dataDir: path.join(root, "data"), apiPort: 0, dbPort: await freePort(), log: createLogger("anonymous", "error"), authRateLimits: GENEROUS_AUTH_LIMITS });
}, 180_000);

afterAll(async () => {
  if (stack) {
    await closeSql(stack);
    await stack.stop();
  }
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe("anonymous sign-ins", () => {
  it("are refused with GoTrue's anonymous_provider_disabled where config.toml leaves them off", async () => {
    const shared = await getStack();
    const r = await client(shared).auth.signInAnonymously();
    expect(r.error?.code).toBe("anonymous_provider_disabled");
    expect(r.error?.status).toBe(422);
    const settings = (await (await fetch(`${shared.apiUrl}/auth/v1/settings`, { headers: { apikey: shared.anonKey } })).json()) as { external: { anonymous_users: boolean } };
    expect(settings.external.anonymous_users).toBe(false);
  });

  it("give a session as an anonymous user where config.toml turns them on", async () => {
    const settings = (await (await fetch(`${stack.apiUrl}/auth/v1/settings`, { headers: { apikey: stack.anonKey } })).json()) as { external: { anonymous_users: boolean } };
    expect(settings.external.anonymous_users).toBe(true);
    const c = client(stack);
    const r = await c.auth.signInAnonymously({ options: { data: { theme: "dark" } } });
    expect(r.error).toBeNull();
    expect(r.data.user).toMatchObject({ is_anonymous: true, email: "", user_metadata: { theme: "dark" }, app_metadata: {} });
    const claims = JSON.parse(Buffer.from(r.data.session!.access_token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ role: "authenticated", is_anonymous: true, amr: [{ method: "anonymous" }] });
    expect((await c.auth.getUser()).data.user?.is_anonymous).toBe(true);
    const refreshed = await c.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    expect(refreshed.data.user?.is_anonymous).toBe(true);

    // An anonymous user may not enroll MFA factors (GoTrue's requireNotAnonymous).
    const enroll = await c.auth.mfa.enroll({ factorType: "totp" });
    expect(enroll.error?.status).toBe(403);
  });
});
