/**
 * Runs postgrest-js's server-facing tests (supabase/supabase-js, packages/core/postgrest-js/test) with
 * their own schema and seed against the embedded default: a stack of its own, in a throwaway root
 * holding upstream's supabase/config.toml, migration and seed. Not part of `npm test`; it downloads
 * nothing: it needs a checkout of supabase-js made beforehand (README, "Conformance").
 *
 *   SUPABASE_JS_DIR=/work/upstream/supabase-js npx tsx tests/conformance/postgrest-js/run.ts [name filter]
 *   SUPABASE_JS_DIR=… npx tsx tests/conformance/postgrest-js/run.ts --serve   (the stack alone, to try requests; Ctrl-C stops it)
 *
 * Prints the pass rate, and every failing test with the first line of its error; writes the full
 * result to .data/conformance/postgrest-js.json. Upstream's files are read, never changed.
 */
import fs from "node:fs";
import path from "node:path";
import { createLogger, freePort, startStack } from "@review/local-supabase";
import { startVitest } from "vitest/node";
import type { TestModule, TestCase } from "vitest/node";
import { SERVER_FACING_FILES, adaptSchema, adaptSeed } from "./adapt.ts";

class AlphabeticalSequencer {
  async shard<T>(files: T[]) {
    return files;
  }
  async sort<T extends { moduleId: string }>(files: T[]) {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
  }
}

const repo = path.resolve(import.meta.dirname, "..", "..", "..");
const upstream = process.env.SUPABASE_JS_DIR;
if (!upstream) {
  console.error("Set SUPABASE_JS_DIR to a checkout of github.com/supabase/supabase-js (see README, Conformance).");
  process.exit(2);
}
const pkg = path.join(path.resolve(upstream), "packages", "core", "postgrest-js");
const testDir = path.join(pkg, "test");
if (!fs.existsSync(path.join(testDir, "supabase", "seed.sql"))) {
  console.error(`${testDir} has no supabase/seed.sql: is SUPABASE_JS_DIR a supabase-js checkout?`);
  process.exit(2);
}

// The project the tests expect, as `supabase start` would get it from upstream's test/supabase folder.
// Under .data like the test stacks' (embedded Postgres runs as the `postgres` user; /tmp's mkdtemp is root's alone).
const runs = path.join(repo, ".data", "conformance");
fs.mkdirSync(runs, { recursive: true });
const root = fs.mkdtempSync(path.join(runs, "postgrest-js-"));
fs.chmodSync(root, 0o711);
fs.mkdirSync(path.join(root, "supabase", "migrations"), { recursive: true });
fs.copyFileSync(path.join(testDir, "supabase", "config.toml"), path.join(root, "supabase", "config.toml"));
for (const f of fs.readdirSync(path.join(testDir, "supabase", "migrations"))) {
  const text = fs.readFileSync(path.join(testDir, "supabase", "migrations", f), "utf8");
  fs.writeFileSync(path.join(root, "supabase", "migrations", f), adaptSchema(text));
}
fs.writeFileSync(path.join(root, "supabase", "seed.sql"), adaptSeed(fs.readFileSync(path.join(testDir, "supabase", "seed.sql"), "utf8")));

const stack = await startStack({
  root,
  dataDir: path.join(root, ".data"),
  apiPort: 0,
  dbPort: await freePort(),
  log: createLogger("conformance", (process.env.CONFORMANCE_LOG ?? "error") as "error"),
  restFastPath: process.env.LOCAL_SUPABASE_REST_FAST !== "off",
});

if (process.argv[2] === "--serve") {
  console.log(`conformance stack: ${stack.apiUrl}/rest/v1 (apikey ${stack.anonKey}); database ${stack.dbUrl}`);
  const stop = async () => {
    await stack.stop();
    fs.rmSync(root, { recursive: true, force: true });
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await new Promise(() => {});
}

process.env.CONFORMANCE_API_URL = stack.apiUrl;
process.env.CONFORMANCE_ANON_KEY = stack.anonKey;

const filter = process.argv[2];
let exitCode = 1;
try {
  const vitest = await startVitest(
    "test",
    filter ? [filter] : [],
    {
      root: pkg,
      config: false,
      include: SERVER_FACING_FILES.map((f) => `test/${f}`),
      globals: true,
      setupFiles: [path.join(import.meta.dirname, "setup.ts")],
      fileParallelism: false,
      // Upstream runs its files one after another in alphabetical order (test/testSequencer.js); they share the database.
      sequence: { sequencer: AlphabeticalSequencer as never },
      update: false,
      testTimeout: 30_000,
      watch: false,
      reporters: [["default", { summary: false }]],
    },
    {
      resolve: { alias: { zod: path.join(repo, "node_modules", "zod") } },
      server: { fs: { strict: false } },
    },
  );
  const modules = vitest?.state.getTestModules() ?? [];
  const results = collect(modules);
  const passed = results.filter((r) => r.state === "passed").length;
  const failed = results.filter((r) => r.state === "failed");
  const counted = results.filter((r) => r.state === "passed" || r.state === "failed").length;
  fs.writeFileSync(path.join(runs, "postgrest-js.json"), JSON.stringify(results, null, 2) + "\n");
  console.log(`\npostgrest-js server-facing tests: ${passed}/${counted} passed (${((100 * passed) / Math.max(counted, 1)).toFixed(1)}%)`);
  for (const f of failed) console.log(`  FAIL ${f.file} > ${f.name}\n       ${f.error}`);
  await vitest?.close();
  exitCode = failed.length ? 1 : 0;
} finally {
  await stack.stop();
  fs.rmSync(root, { recursive: true, force: true });
}
process.exit(exitCode);

type Result = { file: string; name: string; state: string; error?: string };

function collect(modules: readonly TestModule[]): Result[] {
  const results: Result[] = [];
  for (const m of modules) {
    const file = path.relative(pkg, m.moduleId);
    for (const t of m.children.allTests()) results.push(result(file, t));
  }
  return results;
}

function result(file: string, t: TestCase): Result {
  const r = t.result();
  const error = r.state === "failed" ? (r.errors?.[0]?.message ?? "").split("\n").slice(0, 3).join(" ").slice(0, 300) : undefined;
  return { file, name: t.fullName, state: r.state, ...(error ? { error } : {}) };
}
