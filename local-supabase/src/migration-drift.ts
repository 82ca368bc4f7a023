import fs from "node:fs";
import path from "node:path";
import type postgres from "postgres";
import { splitSqlStatements } from "@supabase/lite";

/**
 * Applied migrations whose file has changed since. Migrations are append-only: history records a
 * version once, so an edited file is never applied again and the database silently keeps the old
 * schema, until a later migration trips over it with an error that does not say why. The statements
 * lite recorded are compared with the file split the same way (splitSqlStatements, as its migrator does).
 */
export async function changedMigrations(sql: postgres.Sql, root: string): Promise<string[]> {
  const dir = path.join(root, "supabase", "migrations");
  if (!fs.existsSync(dir)) return [];
  const [table] = await sql`select to_regclass('supabase_migrations.schema_migrations') as t`;
  if (!table?.t) return [];
  const applied = await sql<{ version: string; statements: string[] | null }[]>`select version, statements from supabase_migrations.schema_migrations`;
  const stored = new Map(applied.map((r) => [r.version, r.statements]));
  const changed: string[] = [];
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
  for (const file of files) {
    const version = file.split("_")[0]!;
    const statements = stored.get(version);
    if (!statements) continue;
    const now = splitSqlStatements(fs.readFileSync(path.join(dir, file), "utf8"));
    if (JSON.stringify(now) !== JSON.stringify(statements)) changed.push(file);
  }
  // An applied migration whose file is gone has changed too (the Supabase CLI refuses to push then).
  const present = new Set(files.map((f) => f.split("_")[0]!));
  for (const version of stored.keys()) if (!present.has(version)) changed.push(`${version}_* (file removed)`);
  return changed;
}

export function driftAdvice(changed: string[], dataDir: string | null): string {
  const reset = dataDir ? ` To start over with a fresh local database (demo data only): stop, delete ${path.join(dataDir, "postgres")}, start again.` : "";
  return (
    `${changed.map((f) => `supabase/migrations/${f}`).join(", ")} changed after being applied to this database, so the database does not have ` +
    `what ${changed.length > 1 ? "they say" : "it says"}. Put schema changes in a new migration instead.${reset}`
  );
}
