/**
 * The database's TypeScript types, generated from the migrated schema with Supabase's own generator.
 * `supabase gen types` needs Docker; the @supabase/postgres-meta package it wraps runs the same
 * TypeScript template against any Postgres, here the embedded one.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";

const require = createRequire(import.meta.url);

export const TYPES_FILE = path.resolve(import.meta.dirname, "..", "shared", "src", "database.types.ts");

export async function generateDatabaseTypes(databaseUrl: string): Promise<string> {
  const server = path.join(path.dirname(require.resolve("@supabase/postgres-meta/package.json")), "dist", "server", "server.js");
  const { stdout } = await promisify(execFile)(process.execPath, [server], {
    env: {
      ...process.env,
      PG_META_GENERATE_TYPES: "typescript",
      PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS: "public",
      PG_META_DB_URL: databaseUrl,
    },
    maxBuffer: 32 * 1024 * 1024,
  });
  return stdout;
}
