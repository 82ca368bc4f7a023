import fs from "node:fs";
import path from "node:path";
import { readConfigToml } from "../supabase-config.ts";

/**
 * One function as `supabase functions deploy` sees it. `importMap` is the deno.json (or import map) its
 * bare imports resolve through; undefined when it has none, and then the function may import nothing bare.
 */
export type FunctionConfig = { name: string; entrypoint: string; importMap?: string; verifyJwt: boolean };

export type DeclaredFunction = { verify_jwt?: boolean; entrypoint?: string; import_map?: string; static_files?: string[] };

/**
 * Reads supabase/config.toml the way the Supabase CLI does (pkg/config: paths in `[functions.<name>]`
 * are relative to supabase/): `verify_jwt` (default true), `entrypoint`, and `import_map`, which
 * falls back to a deno.json or deno.jsonc beside the entrypoint. Every folder in edge-functions/ that has
 * an index.ts is served, configured or not; `_shared` and dot-folders are not functions.
 */
export function loadFunctionConfigs(root: string): Map<string, FunctionConfig> {
  const declared = declaredFunctions(root);
  const dir = path.join(root, "edge-functions");
  const out = new Map<string, FunctionConfig>();
  const folders = fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : [];
  for (const f of folders) {
    if (!f.isDirectory() || f.name.startsWith("_") || f.name.startsWith(".")) continue;
    const conf = declared[f.name] ?? {};
    const entry = conf.entrypoint
      ? path.resolve(root, "supabase", conf.entrypoint)
      : path.join(dir, f.name, "index.ts");
    if (!fs.existsSync(entry)) continue;
    out.set(f.name, { name: f.name, entrypoint: entry, importMap: importMapFor(root, entry, conf), verifyJwt: conf.verify_jwt ?? true });
  }
  return out;
}

export function declaredFunctions(root: string): Record<string, DeclaredFunction> {
  return (readConfigToml(root).functions ?? {}) as Record<string, DeclaredFunction>;
}

/** `import_map` from config.toml, else deno.json / deno.jsonc beside the entrypoint (the CLI's order). */
export function importMapFor(root: string, entrypoint: string, conf: DeclaredFunction): string | undefined {
  if (conf.import_map) return path.resolve(root, "supabase", conf.import_map);
  for (const name of ["deno.json", "deno.jsonc"]) {
    const candidate = path.join(path.dirname(entrypoint), name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}
