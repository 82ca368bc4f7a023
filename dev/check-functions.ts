/**
 * Type-checks every Edge Function under Deno, the runtime that runs them (tsc does not see them: they
 * import through their import map). Part of `npm run typecheck`.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { denoBinary } from "../local-supabase/src/functions/runner.ts";

const dir = path.resolve(import.meta.dirname, "..", "edge-functions");
const entries = fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, "index.ts"))).map((d) => `${d}/index.ts`);
try {
  execFileSync(denoBinary(), ["check", "--quiet", "--node-modules-dir=manual", "--config=deno.json", ...entries], {
    cwd: dir,
    stdio: "inherit",
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_DIR: path.resolve(dir, "..", ".data", "deno-check") },
  });
} catch {
  process.exit(1);
}
console.log(`deno check: ${entries.length} Edge Functions`);
