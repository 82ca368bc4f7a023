/**
 * `npm run check:bundles`: every Edge Function resolves as `supabase functions deploy` bundles it (see
 * dev/bundles.ts): only the files the CLI uploads, the function's own deno.json, no package.json, no
 * node_modules, its deno.lock frozen. Also checks that each deno.json pins exactly the packages its graph
 * imports, at the versions npm installed (what the local stack runs), and that config.toml declares every
 * function with its import map. A step of .ci/run; npm packages come from the registry (cached in .data/).
 *
 * `npm run check:bundles -- --write` rewrites each function's deno.json and deno.lock (and the union in
 * edge-functions/deno.json, which `npm run typecheck` uses) after a dependency or an import changes.
 */
import fs from "node:fs";
import path from "node:path";
import { bundlePlan, configProblems, deployedFunctions, expectedImports, formatDenoJson, installedVersions, resolveBundle, type Resolution } from "./bundles.ts";

const root = path.resolve(import.meta.dirname, "..");
const write = process.argv.includes("--write");
const denoDir = path.join(root, ".data", "deno-bundles");
const started = Date.now();
const problems: string[] = [];

const deployed = deployedFunctions(root);
problems.push(...configProblems(root));
if (write) {
  for (const name of deployed) {
    const file = path.join(root, "edge-functions", name, "deno.json");
    if (fs.existsSync(path.dirname(file)) && !fs.existsSync(file)) fs.writeFileSync(file, formatDenoJson({}));
  }
}
if (problems.length > 0) fail();

const versions = installedVersions(root);
const union: Record<string, string> = {};

async function one(name: string): Promise<Resolution> {
  let plan = bundlePlan(root, name);
  const denoJson = plan.importMap ? path.join(root, plan.importMap) : undefined;
  if (write && denoJson) {
    const lock = path.join(path.dirname(denoJson), "deno.lock");
    // The first pass only learns which bare specifiers the graph imports; the lock is rebuilt from scratch.
    fs.rmSync(lock, { force: true });
    const first = await resolveBundle(root, plan, { lock: "write", denoDir });
    const { imports } = expectedImports(first.bare, versions);
    fs.writeFileSync(denoJson, formatDenoJson(imports));
    fs.rmSync(lock, { force: true });
    plan = bundlePlan(root, name);
  }
  const result = await resolveBundle(root, plan, { lock: write ? "write" : "frozen", denoDir });
  const { imports, missing } = expectedImports(result.bare, versions);
  for (const pkg of missing) result.errors.push(`imports ${pkg}, which npm did not install: add it to edge-functions/package.json`);
  if (denoJson) {
    const actual = (JSON.parse(fs.readFileSync(denoJson, "utf8")) as { imports?: Record<string, string> }).imports ?? {};
    for (const [k, v] of Object.entries(imports)) {
      if (actual[k] === undefined) continue; // deno reported it as unresolved already
      if (actual[k] !== v) result.errors.push(`${plan.importMap}: "${k}" is ${actual[k]}, but npm installed ${v} (the version local functions run)`);
    }
    for (const k of Object.keys(actual)) if (!(k in imports)) result.errors.push(`${plan.importMap}: "${k}" is not imported by this function; drop it`);
  }
  Object.assign(union, imports);
  return result;
}

// Two at a time: each is a Deno process, and the machine is shared.
const queue = [...deployed];
const results: Resolution[] = [];
await Promise.all(
  [0, 1].map(async () => {
    for (let name = queue.shift(); name; name = queue.shift()) results.push(await one(name));
  }),
);

const rootMap = path.join(root, "edge-functions", "deno.json");
const unionText = formatDenoJson(Object.fromEntries(Object.entries(union).sort(([a], [b]) => a.localeCompare(b))));
if (write) fs.writeFileSync(rootMap, unionText);
else if (fs.readFileSync(rootMap, "utf8") !== unionText) problems.push("edge-functions/deno.json is not the union of the functions' import maps: run npm run check:bundles -- --write");

for (const r of results.sort((a, b) => a.plan.name.localeCompare(b.plan.name))) {
  const status = r.errors.length === 0 ? "ok" : "FAIL";
  console.log(`${status.padEnd(4)} ${r.plan.name.padEnd(26)} ${String(r.plan.files.length).padStart(3)} files uploaded, ${String(r.npmPackages).padStart(3)} npm packages`);
  for (const e of r.errors) problems.push(`${r.plan.name}: ${e}`);
}
if (problems.length > 0) fail();
console.log(`${results.length} Edge Functions resolve as deployed (${((Date.now() - started) / 1000).toFixed(1)} s)${write ? "; deno.json and deno.lock written" : ""}`);

function fail(): never {
  for (const p of problems) console.error(`  ✗ ${p}`);
  console.error(`check:bundles: ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
  process.exit(1);
}
