/**
 * What `supabase functions deploy` ships for each Edge Function, and whether it resolves there.
 *
 * The Supabase CLI (supabase/cli, apps/cli-go) uploads, per function, exactly three things
 * (pkg/function/deploy.go `writeForm`; the Docker bundler mounts the same set, internal/utils/deno.go
 * `BindHostModules`):
 *  - the import map: `import_map` from `[functions.<name>]` (relative to supabase/), else a deno.json or
 *    deno.jsonc beside the entrypoint (pkg/config/config.go);
 *  - the `static_files`;
 *  - the files `WalkImportPaths` (pkg/function/deno.go) reaches from the entrypoint: a regex over the
 *    source for import/export statements, following only specifiers that start with ./ ../ or / (after
 *    import-map substitution) and have an extension.
 * The edge runtime then builds the module graph from those files alone, with that import map and without
 * any package.json (DENO_NO_PACKAGE_JSON; nothing else is uploaded), fetching npm: packages from the registry.
 *
 * `resolveBundle` does the same here: it copies exactly those files, at the same relative paths, into an
 * empty directory and asks Deno for the module graph (`deno info --json`, i.e. deno_graph, the library the
 * edge runtime's eszip bundler builds its graph with), with the function's own deno.json, no package.json,
 * no node_modules (`--node-modules-dir=none`: npm packages come from the registry into a cache of our own)
 * and its deno.lock frozen. Any module not found (a file the CLI's walk would not upload) or specifier not
 * resolved (a bare import missing from that function's import map) is an error. `deno info` rather than
 * `deno check`: bundling resolves, it does not type-check, and `npm run typecheck` type-checks the same files.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { declaredFunctions, importMapFor } from "../local-supabase/src/functions/config.ts";
import { denoBinary } from "../local-supabase/src/functions/runner.ts";

const run = promisify(execFile);

export type BundlePlan = {
  name: string;
  /** Paths relative to the project root, with forward slashes, as the CLI sends them. */
  entrypoint: string;
  importMap: string | undefined;
  staticFiles: string[];
  /** Every file the CLI's walk uploads, the entrypoint first. */
  files: string[];
  /** Imports the walk would follow but cannot read: missing on disk, or outside the project. */
  unreadable: { file: string; reason: string }[];
};

/** The functions `supabase functions deploy` (no arguments) deploys: the ones config.toml declares. */
export function deployedFunctions(root: string): string[] {
  return Object.keys(declaredFunctions(root)).sort();
}

/** Folders in edge-functions/ the local gateway serves: those with an index.ts, not `_shared` or dot-folders. */
export function servedFunctions(root: string): string[] {
  const dir = path.join(root, "edge-functions");
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.isDirectory() && !f.name.startsWith("_") && !f.name.startsWith(".") && fs.existsSync(path.join(dir, f.name, "index.ts")))
    .map((f) => f.name)
    .sort();
}

/**
 * What would make `supabase functions deploy` skip a function or bundle it without its import map: a
 * served folder config.toml does not declare (the CLI only finds undeclared ones in supabase/functions),
 * or a declaration without `import_map` pointing at the deno.json beside its entrypoint (older CLIs look
 * for one only in supabase/functions/<name>).
 */
export function configProblems(root: string): string[] {
  const problems: string[] = [];
  const declared = declaredFunctions(root);
  for (const name of servedFunctions(root)) {
    if (!(name in declared)) problems.push(`edge-functions/${name} is served locally but config.toml has no [functions.${name}], so \`supabase functions deploy\` skips it`);
  }
  for (const [name, conf] of Object.entries(declared)) {
    const entry = conf.entrypoint ? path.resolve(root, "supabase", conf.entrypoint) : path.join(root, "supabase", "functions", name, "index.ts");
    if (!fs.existsSync(entry)) problems.push(`[functions.${name}] entrypoint ${rel(root, entry)} does not exist`);
    const beside = path.join(path.dirname(entry), "deno.json");
    const map = conf.import_map ? path.resolve(root, "supabase", conf.import_map) : undefined;
    if (map !== beside) problems.push(`[functions.${name}] import_map must be "${path.relative(path.join(root, "supabase"), beside)}" (is ${JSON.stringify(conf.import_map)})`);
  }
  return problems;
}

const rel = (root: string, p: string) => path.relative(root, p).split(path.sep).join("/");

export function bundlePlan(root: string, name: string): BundlePlan {
  const conf = declaredFunctions(root)[name] ?? {};
  const entryAbs = conf.entrypoint ? path.resolve(root, "supabase", conf.entrypoint) : path.join(root, "supabase", "functions", name, "index.ts");
  const mapAbs = importMapFor(root, entryAbs, conf);
  const entrypoint = rel(root, entryAbs);
  const importMap = mapAbs ? rel(root, mapAbs) : undefined;
  const imports = importMap ? loadImports(root, importMap) : [];
  const staticFiles = (conf.static_files ?? []).map((p) => rel(root, path.resolve(root, "supabase", p)));
  const unreadable: BundlePlan["unreadable"] = [];
  const files = walkImportPaths(entrypoint, imports, (file) => {
    if (file.startsWith("../") || file === ".." || file.startsWith("/")) {
      unreadable.push({ file, reason: "outside the project directory, which the CLI cannot upload" });
      return undefined;
    }
    const abs = path.join(root, file);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) {
      unreadable.push({ file, reason: "not found" });
      return undefined;
    }
    return fs.readFileSync(abs, "utf8");
  });
  return { name, entrypoint, importMap, staticFiles, files, unreadable };
}

/**
 * The import map's `imports`, values resolved against the map's folder as the CLI's `resolveHostPath`
 * does (URLs such as npm: stay as they are), in file order. A deno.json that only names another map
 * (`"importMap": "..."`) is followed, as `LoadAsDeno` does.
 */
function loadImports(root: string, mapPath: string): [string, string][] {
  const parsed = JSON.parse(fs.readFileSync(path.join(root, mapPath), "utf8")) as { imports?: Record<string, string>; scopes?: unknown; importMap?: string };
  if (!parsed.imports && !parsed.scopes && parsed.importMap && /^deno\.jsonc?$/i.test(path.basename(mapPath))) {
    return loadImports(root, path.posix.join(path.posix.dirname(mapPath), parsed.importMap));
  }
  return Object.entries(parsed.imports ?? {}).map(([k, v]) => {
    if (v.startsWith("/") || /^[a-z][a-z0-9+.-]*:/i.test(v)) return [k, v];
    let resolved = path.posix.join(path.posix.dirname(mapPath), v);
    if (v.endsWith("/")) resolved += "/";
    return [k, resolved.startsWith("/") ? resolved : `./${resolved}`];
  });
}

// The CLI's importPathPattern, verbatim (Go RE2 with (?i); `.` stops at a newline in both engines).
const IMPORT_PATH = /(?:import|export)\s+(?:type\s+)?(?:{[^{}]+}|.*?)\s*(?:from)?\s*['"](.*?)['"]|import\(\s*['"](.*?)['"]\)/gi;

/**
 * A port of the CLI's `WalkImportPaths`. It is deliberately as naive as the original: an import it does
 * not recognise (a default and a named import split over lines, a specifier without an extension) is not
 * uploaded, and the graph built from the copy then misses that file, which is the point of checking.
 * Go iterates the import map in random order; only relative mappings could make that matter, and the
 * function maps here hold npm: specifiers alone.
 */
export function walkImportPaths(entrypoint: string, imports: [string, string][], read: (file: string) => string | undefined): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const queue = [entrypoint];
  while (queue.length > 0) {
    const curr = queue.pop()!;
    if (seen.has(curr)) continue;
    seen.add(curr);
    const text = read(curr);
    if (text === undefined) continue;
    out.push(curr);
    for (const m of text.matchAll(IMPORT_PATH)) {
      let mod = (m[1] || m[2] || "").trim();
      let substituted = false;
      for (const [k, v] of imports) {
        if (mod.startsWith(k)) {
          mod = v + mod.slice(k.length);
          substituted = true;
        }
      }
      if (path.posix.extname(mod) === "") continue;
      const isRel = mod.startsWith("./") || mod.startsWith("../");
      if (!isRel && !mod.startsWith("/")) continue;
      if (isRel && !substituted) mod = path.posix.join(path.posix.dirname(curr), mod);
      queue.push(path.posix.normalize(mod));
    }
  }
  return out;
}

export type DenoGraph = {
  modules: { kind: string; specifier: string; error?: string; dependencies?: { specifier: string; code?: { specifier?: string; error?: string }; type?: { specifier?: string; error?: string } }[] }[];
  npmPackages?: Record<string, unknown>;
};

export type Resolution = {
  plan: BundlePlan;
  errors: string[];
  /** Bare specifiers the graph imports (npm packages by name and subpath; `node:` built-ins excluded). */
  bare: Set<string>;
  npmPackages: number;
};

/**
 * Builds the function's module graph from an isolated copy of what the CLI uploads. `lock`: "frozen"
 * refuses a deno.lock that does not match (the check), "write" writes it back beside the deno.json.
 */
export async function resolveBundle(root: string, plan: BundlePlan, opts: { lock: "frozen" | "write"; denoDir: string }): Promise<Resolution> {
  const errors = plan.unreadable.map((u) => `${u.file}: ${u.reason} (imported, but the CLI's walk cannot upload it)`);
  if (!plan.importMap) errors.push(`no import map: set import_map in [functions.${plan.name}] or add a deno.json beside ${plan.entrypoint}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `bundle-${plan.name}-`));
  try {
    for (const f of [...plan.files, ...plan.staticFiles, ...(plan.importMap ? [plan.importMap] : [])]) {
      fs.mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
      fs.copyFileSync(path.join(root, f), path.join(tmp, f));
    }
    const lockRel = plan.importMap ? path.posix.join(path.posix.dirname(plan.importMap), "deno.lock") : undefined;
    const args = ["info", "--json", "--node-modules-dir=none"];
    if (plan.importMap && /^deno\.jsonc?$/i.test(path.basename(plan.importMap))) args.push(`--config=${plan.importMap}`);
    else if (plan.importMap) args.push("--no-config", `--import-map=${plan.importMap}`);
    else args.push("--no-config");
    if (lockRel) {
      if (opts.lock === "frozen") {
        // No lock is a function with no packages; with any, --frozen refuses to create one.
        if (fs.existsSync(path.join(root, lockRel))) fs.copyFileSync(path.join(root, lockRel), path.join(tmp, lockRel));
        args.push(`--lock=${lockRel}`, "--frozen");
      } else {
        args.push(`--lock=${lockRel}`);
      }
    } else {
      args.push("--no-lock");
    }
    args.push(plan.entrypoint);
    let graph: DenoGraph;
    try {
      const { stdout } = await run(denoBinary(), args, {
        cwd: tmp,
        maxBuffer: 64 * 1024 * 1024,
        // The rest of the environment passes through: the registry may sit behind a proxy or a custom CA.
        env: { ...process.env, DENO_DIR: opts.denoDir, DENO_NO_PACKAGE_JSON: "1", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      });
      graph = JSON.parse(stdout) as DenoGraph;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      errors.push(`deno info failed: ${(e.stderr ?? e.message).trim().split("\n").slice(-5).join("\n")}`);
      return { plan, errors, bare: new Set(), npmPackages: 0 };
    }
    if (opts.lock === "write" && lockRel && fs.existsSync(path.join(tmp, lockRel))) {
      fs.copyFileSync(path.join(tmp, lockRel), path.join(root, lockRel));
    }
    const bare = new Set<string>();
    const local = (s: string) => s.replace(`file://${tmp}/`, "");
    for (const m of graph.modules) {
      if (m.error) errors.push(`${local(m.specifier)}: ${m.error.replaceAll(`file://${tmp}/`, "")}`);
      for (const d of m.dependencies ?? []) {
        if (isBare(d.specifier)) bare.add(d.specifier);
        for (const r of [d.code, d.type]) {
          if (r?.error) errors.push(`${local(m.specifier)} imports "${d.specifier}": ${r.error.replaceAll(`file://${tmp}/`, "")}`);
        }
      }
    }
    return { plan, errors, bare, npmPackages: Object.keys(graph.npmPackages ?? {}).length };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function isBare(specifier: string): boolean {
  return !(specifier.startsWith("./") || specifier.startsWith("../") || specifier.startsWith("/") || /^[a-z][a-z0-9+.-]*:/i.test(specifier));
}

/** "@scope/pkg/sub" → ["@scope/pkg", "sub"]; "pkg" → ["pkg", ""]. */
export function splitPackage(specifier: string): [string, string] {
  const parts = specifier.split("/");
  const n = specifier.startsWith("@") ? 2 : 1;
  return [parts.slice(0, n).join("/"), parts.slice(n).join("/")];
}

/** The version npm installed for each package (package-lock.json), which local functions run with. */
export function installedVersions(root: string): Map<string, string> {
  const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string; link?: boolean }> };
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(lock.packages)) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key);
    if (m?.[1] && value.version && !value.link) out.set(m[1], value.version);
  }
  return out;
}

/**
 * The import map a function needs: an exact npm: version for each bare specifier its graph imports, the
 * one npm installed, so the deployed bundle runs what the local stack runs.
 */
export function expectedImports(bare: Iterable<string>, versions: Map<string, string>): { imports: Record<string, string>; missing: string[] } {
  const imports: Record<string, string> = {};
  const missing: string[] = [];
  for (const spec of [...bare].sort()) {
    const [pkg, sub] = splitPackage(spec);
    const version = versions.get(pkg);
    if (!version) {
      missing.push(pkg);
      continue;
    }
    if (sub) imports[`${pkg}/`] = `npm:/${pkg}@${version}/`;
    else imports[pkg] = `npm:${pkg}@${version}`;
  }
  return { imports: Object.fromEntries(Object.entries(imports).sort(([a], [b]) => a.localeCompare(b))), missing: [...new Set(missing)] };
}

export function formatDenoJson(imports: Record<string, string>): string {
  return `${JSON.stringify({ imports }, null, 2)}\n`;
}
