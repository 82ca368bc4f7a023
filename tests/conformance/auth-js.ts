/**
 * Runs supabase-js's auth-js GoTrue tests (packages/core/auth-js/test) against the embedded default,
 * the way upstream runs them against the Supabase CLI (`supabase start` with test/supabase/config.toml)
 * and against the GoTrue containers of infra/docker-compose.yml. Not part of `npm test`: it needs a
 * checkout of supabase-js and jest, which this repository does not depend on. See README.md here.
 *
 *   SUPABASE_JS_DIR=/work/upstream/supabase-js npx tsx tests/conformance/auth-js.ts --install   # once: jest & co.
 *   SUPABASE_JS_DIR=/work/upstream/supabase-js npx tsx tests/conformance/auth-js.ts             # every run
 *
 * Upstream's files are copied into a temporary directory and never changed in the checkout; the
 * copies get one rewrite each: the URL of the Auth server (the CLI's 127.0.0.1:54321, or a container's
 * localhost:999x) becomes the URL of the stack started for them. Nothing is fetched at run time.
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLogger, freePort, startStack, type Stack } from "../../local-supabase/src/index.ts";

type JestAssertion = { fullName: string; status: "passed" | "failed" | "pending" | "todo" | "skipped" | "disabled"; failureMessages: string[] };
type JestReport = { testResults: Array<{ name: string; assertionResults: JestAssertion[]; message: string }> };

type Suite = {
  name: string;
  /** What upstream runs it against. */
  against: string;
  files: string[];
  /** supabase/config.toml of the stack (the CLI's own file for the CLI suite). */
  configToml(ctx: { authJs: string; work: string }): string;
  /** Signing keys (GoTrue's JWT_KEYS / the CLI's signing_keys_path), if any. */
  signingKeys?(ctx: { authJs: string; work: string }): unknown[];
  /** Upstream URL → the stack's. */
  rewrites(apiUrl: string): Array<[string, string]>;
  /**
   * The containers are GoTrue alone, reached without an API key; the embedded default is GoTrue
   * behind Supabase's API gateway, which wants one (as `supabase start` and hosted do). Their clients
   * get the publishable key, and nothing else changes.
   */
  behindGateway?: boolean;
};

/**
 * Tests whose server feature GoTrue's local configuration does not give this machine: each needs a
 * service outside it. They run and are reported, but are not counted in the pass rate.
 */
const NOT_ENABLED_LOCALLY: Array<{ match: RegExp; reason: string }> = [
  { match: /Docker: Phone|phone-otp/, reason: "needs an SMS provider (Twilio credentials); the CLI's config enables none" },
];

const suites: Suite[] = [
  {
    name: "cli",
    against: "supabase start with test/supabase/config.toml (what `nx test:auth auth-js` uses)",
    files: ["GoTrueApi.test.ts", "GoTrueClient.test.ts", "GoTrueClient.pkce.test.ts", "GoTrueClient.signOut.test.ts", "passkey.e2e.test.ts"],
    configToml: ({ authJs }) => fs.readFileSync(path.join(authJs, "test/supabase/config.toml"), "utf8"),
    signingKeys: ({ work }) => JSON.parse(fs.readFileSync(path.join(work, "test/supabase/signing_keys.json"), "utf8")) as unknown[],
    rewrites: (api) => [["http://127.0.0.1:54321", api]],
  },
  {
    name: "docker-autoconfirm-off",
    against: "the `gotrue` container of infra/docker-compose.yml (localhost:9999; signup on, autoconfirm off, anonymous sign-ins off)",
    files: ["docker-tests/anonymous-disabled.test.ts", "docker-tests/phone-otp.test.ts"],
    configToml: () => dockerToml({ jwtSecret: "37c304f8-51aa-419a-a1af-06154e63707a", siteUrl: "http://localhost:9999", confirm: true, signup: true, redirects: ["https://supabase.io/docs"] }),
    rewrites: (api) => [
      ["http://localhost:9999", `${api}/auth/v1`],
      ["http://localhost:9998", `${api}/auth/v1`],
    ],
    behindGateway: true,
  },
  {
    name: "docker-signup-disabled",
    against: "the `disabled` container (localhost:9997; GOTRUE_DISABLE_SIGNUP, email provider off)",
    files: ["docker-tests/signup-disabled.test.ts"],
    configToml: () => dockerToml({ jwtSecret: "37c304f8-51aa-419a-a1af-06154e63707a", siteUrl: "http://localhost:9997", confirm: true, signup: false, redirects: [] }),
    rewrites: (api) => [["http://localhost:9997", `${api}/auth/v1`]],
    behindGateway: true,
  },
  {
    name: "docker-asymmetric",
    against: "the `autoconfirm_with_asymmetric_keys` container (localhost:9996; RS256 signing key in GOTRUE_JWT_KEYS)",
    files: ["docker-tests/asymmetric-jwt.test.ts"],
    configToml: () => dockerToml({ jwtSecret: "Z7-AyPyChGNcQsX16cPBV-pPBo4q-zckDxkq1VZjATo", siteUrl: "http://localhost:9996", confirm: false, signup: true, redirects: [] }),
    signingKeys: ({ authJs }) => composeJwtKeys(authJs, "autoconfirm_with_asymmetric_keys"),
    rewrites: (api) => [["http://localhost:9996", `${api}/auth/v1`]],
    behindGateway: true,
  },
];

function dockerToml(o: { jwtSecret: string; siteUrl: string; confirm: boolean; signup: boolean; redirects: string[] }): string {
  return `
[auth]
enabled = true
site_url = "${o.siteUrl}"
additional_redirect_urls = ${JSON.stringify(o.redirects)}
jwt_expiry = 3600
jwt_secret = "${o.jwtSecret}"
enable_signup = ${o.signup}
enable_anonymous_sign_ins = false
minimum_password_length = 6

[auth.email]
enable_signup = ${o.signup}
enable_confirmations = ${o.confirm}
max_frequency = "1s"

[auth.rate_limit]
email_sent = 100
sign_in_sign_ups = 100
token_refresh = 300
token_verifications = 100
anonymous_users = 100

[inbucket]
enabled = true
`;
}

/** GOTRUE_JWT_KEYS of a service in upstream's docker-compose.yml. */
function composeJwtKeys(authJs: string, service: string): unknown[] {
  const compose = fs.readFileSync(path.join(authJs, "infra/docker-compose.yml"), "utf8");
  const start = compose.indexOf(`\n  ${service}:`);
  const m = /GOTRUE_JWT_KEYS: '(\[.*\])'/.exec(compose.slice(start));
  if (start < 0 || !m) throw new Error(`no GOTRUE_JWT_KEYS for ${service} in infra/docker-compose.yml`);
  return JSON.parse(m[1]!) as unknown[];
}

const args = process.argv.slice(2);
const supabaseJs = process.env.SUPABASE_JS_DIR;
if (!supabaseJs) {
  console.error("Set SUPABASE_JS_DIR to a checkout of https://github.com/supabase/supabase-js (see tests/conformance/README.md).");
  process.exit(2);
}
const authJs = path.resolve(supabaseJs, "packages/core/auth-js");
const tools = path.resolve(process.env.AUTH_JS_TOOLS_DIR ?? path.join(supabaseJs, "..", "auth-js-tools"));
const repo = path.resolve(import.meta.dirname, "..", "..");

if (args.includes("--install")) {
  fs.mkdirSync(tools, { recursive: true });
  fs.copyFileSync(path.join(import.meta.dirname, "auth-js-tools.json"), path.join(tools, "package.json"));
  execFileSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: tools, stdio: "inherit" });
  console.log(`installed into ${tools}`);
  process.exit(0);
}
if (!fs.existsSync(path.join(tools, "node_modules/jest/bin/jest.js"))) {
  console.error(`jest is not installed in ${tools}: run this script once with --install.`);
  process.exit(2);
}

const only = args.find((a) => a.startsWith("--suite="))?.slice("--suite=".length);
const grep = args.find((a) => a.startsWith("--grep="))?.slice("--grep=".length);
const reportFile = args.find((a) => a.startsWith("--report="))?.slice("--report=".length);

type Outcome = { suite: string; file: string; name: string; status: string; message: string; excluded?: string };
const outcomes: Outcome[] = [];

for (const suite of suites.filter((s) => !only || s.name === only)) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `auth-js-${suite.name}-`));
  fs.chmodSync(work, 0o755); // Postgres runs as its own system user when this runs as root
  // The package's own layout (its tsconfig extends ../../../tsconfig.base.json), with jest & co. beside it.
  const pkg = path.join(work, "packages/core/auth-js");
  fs.mkdirSync(pkg, { recursive: true });
  fs.copyFileSync(path.join(supabaseJs, "tsconfig.base.json"), path.join(work, "tsconfig.base.json"));
  for (const f of ["src", "test", "tsconfig.json", "tsconfig.test.json", "package.json"]) fs.cpSync(path.join(authJs, f), path.join(pkg, f), { recursive: true });
  fs.symlinkSync(path.join(tools, "node_modules"), path.join(work, "node_modules"));
  // Upstream generates a fresh RSA key per run (test/generate-signing-keys.js); so do we, in the copy.
  execFileSync(process.execPath, [path.join(pkg, "test/generate-signing-keys.js")], { stdio: "ignore" });

  const project = path.join(work, "project");
  fs.mkdirSync(path.join(project, "supabase"), { recursive: true });
  let toml = suite.configToml({ authJs, work: pkg });
  const keys = suite.signingKeys?.({ authJs, work: pkg });
  if (keys) {
    fs.writeFileSync(path.join(project, "supabase/signing_keys.json"), JSON.stringify(keys));
    if (!/signing_keys_path/.test(toml)) toml = toml.replace("[auth]\n", `[auth]\nsigning_keys_path = "./signing_keys.json"\n`);
  }
  fs.writeFileSync(path.join(project, "supabase/config.toml"), toml);

  let stack: Stack | null = null;
  try {
    stack = await startStack({
      root: project,
      dataDir: path.join(work, "data"),
      apiPort: await freePort(),
      dbPort: await freePort(),
      mailPort: 0,
      restFastPath: false,
      // The CLI's GoTrue runs without GOTRUE_RATE_LIMIT_HEADER, and so applies none of its per-IP
      // limits (internal/api/middleware.go); the embedded default always does (from the TCP peer).
      // Lifted here as the CLI has them; `email_sent` stays as configured.
      authRateLimits: { signInSignUps: 1e6, tokenRefresh: 1e6, tokenVerifications: 1e6, anonymousUsers: 1e6 },
      log: createLogger(`auth-js:${suite.name}`, "error"),
    });
    for (const file of suite.files) {
      const target = path.join(pkg, "test", file);
      let text = fs.readFileSync(target, "utf8");
      for (const [from, to] of suite.rewrites(stack.apiUrl)) text = text.replaceAll(from, to);
      fs.writeFileSync(target, text);
    }
    for (const lib of ["test/lib/clients.ts", "test/docker-tests/clients.ts"]) {
      const target = path.join(pkg, lib);
      let text = fs.readFileSync(target, "utf8");
      for (const [from, to] of suite.rewrites(stack.apiUrl)) text = text.replaceAll(from, to);
      if (suite.behindGateway && lib.includes("docker-tests")) {
        const key = JSON.stringify(stack.publishableKey);
        text = text.replace(/(new GoTrueClient\(\{\n\s*url: [^\n]+\n)/g, `$1  headers: { apikey: ${key} },\n`).replace(/headers: \{\n(\s*)Authorization:/g, `headers: {\n$1apikey: ${key},\n$1Authorization:`);
      }
      fs.writeFileSync(target, text);
    }
    const report = await runJest(pkg, suite.files, path.join(work, "report.json"));
    for (const result of report.testResults) {
      const file = path.relative(path.join(pkg, "test"), result.name);
      if (!result.assertionResults.length && result.message) {
        outcomes.push({ suite: suite.name, file, name: "(file did not run)", status: "failed", message: firstLine(result.message) });
      }
      for (const a of result.assertionResults) {
        const excluded = NOT_ENABLED_LOCALLY.find((x) => x.match.test(`${file} ${a.fullName}`))?.reason;
        outcomes.push({ suite: suite.name, file, name: a.fullName, status: a.status, message: firstLine(a.failureMessages.join("\n")), ...(excluded ? { excluded } : {}) });
      }
    }
  } finally {
    await stack?.stop();
    if (!args.includes("--keep")) fs.rmSync(work, { recursive: true, force: true });
  }
}

function runJest(pkg: string, files: string[], out: string): Promise<JestReport> {
  const config = {
    rootDir: pkg,
    testEnvironment: "node",
    testMatch: files.map((f) => `<rootDir>/test/${f}`),
    transform: { "^.+\\.tsx?$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.test.json", diagnostics: false }] },
    // Upstream's default (5 s) is for a dedicated CI runner; this machine is shared.
    testTimeout: 30_000,
    silent: true,
  };
  const jestArgs = [path.join(tools, "node_modules/jest/bin/jest.js"), "--config", JSON.stringify(config), "--json", "--outputFile", out, "--runInBand", ...(grep ? ["-t", grep] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, jestArgs, { cwd: pkg, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, NODE_OPTIONS: "" } });
    child.on("error", reject);
    child.on("exit", () => {
      if (!fs.existsSync(out)) return reject(new Error("jest wrote no report"));
      resolve(JSON.parse(fs.readFileSync(out, "utf8")) as JestReport);
    });
  });
}

function firstLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\u001b\[[0-9;]*m/g, "");
  return plain.split("\n").map((l) => l.trim()).filter(Boolean).slice(0, 3).join(" | ").slice(0, 300);
}

const counted = outcomes.filter((o) => !o.excluded && (o.status === "passed" || o.status === "failed"));
const passed = counted.filter((o) => o.status === "passed").length;
console.log(`\nauth-js GoTrue tests against the embedded default (${path.relative(repo, repo) || "."}):`);
const byFile = new Map<string, Outcome[]>();
for (const o of outcomes) byFile.set(`${o.suite} ${o.file}`, [...(byFile.get(`${o.suite} ${o.file}`) ?? []), o]);
for (const [key, list] of byFile) {
  const p = list.filter((o) => o.status === "passed").length;
  const f = list.filter((o) => o.status === "failed").length;
  console.log(`  ${key}: ${p} passed, ${f} failed${list.length - p - f ? `, ${list.length - p - f} skipped` : ""}`);
}
const failures = outcomes.filter((o) => o.status === "failed");
if (failures.length) {
  console.log("\nfailures:");
  for (const o of failures) console.log(`  ${o.excluded ? "[not enabled locally] " : ""}${o.file} › ${o.name}\n      ${o.message}`);
}
const excluded = outcomes.filter((o) => o.excluded);
console.log(`\n${passed}/${counted.length} passed (${((100 * passed) / Math.max(1, counted.length)).toFixed(1)}%)${excluded.length ? `; ${excluded.length} not counted (not enabled locally)` : ""}`);
if (reportFile) fs.writeFileSync(reportFile, JSON.stringify(outcomes, null, 2));
