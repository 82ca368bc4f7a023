import fs from "node:fs";
import path from "node:path";
import { readConfigToml } from "../supabase-config.ts";

export type FunctionConfig = { name: string; entrypoint: string; verifyJwt: boolean };

/**
 * Reads supabase/config.toml the way the Supabase CLI does: `[functions.<name>]` with
 * `verify_jwt` (default true) and `entrypoint` (relative to supabase/). Every folder in
 * edge-functions/ that has an index.ts is served, configured or not; `_shared` and dot-folders are not functions.
 */
export function loadFunctionConfigs(root: string): Map<string, FunctionConfig> {
  const toml = readConfigToml(root);
  const declared = (toml.functions ?? {}) as Record<string, { verify_jwt?: boolean; entrypoint?: string }>;
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
    out.set(f.name, { name: f.name, entrypoint: entry, verifyJwt: conf.verify_jwt ?? true });
  }
  return out;
}
