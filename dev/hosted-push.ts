/**
 * `npm run hosted:push` (a step of .ci/run): the real Supabase CLI pushes supabase/migrations and the seed
 * to a second PostgreSQL set up like a hosted project (dev/hosted-like.sql: the major version config.toml
 * declares, `postgres` not a superuser, auth and realtime owned by their services' roles). Then:
 *  - the push must have applied every migration and the seed, and a second push must find nothing to do;
 *  - every privilege on what the migrations create (schemas public and private) must equal
 *    tests/security/privileges.expected.txt, which the embedded stack is held to;
 *  - privileges that differ in platform schemas (realtime, extensions), which the platform and not our
 *    migrations decide, are listed for the record.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { startHostedLike, supabaseDbPush } from "./hosted-like.ts";

type Snapshot = (sql: postgres.Sql) => Promise<string[]>;

const root = path.resolve(import.meta.dirname, "..");
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const problems: string[] = [];

// The same snapshot the embedded stack's privileges test takes. Loaded at run time: tests/ is a project
// of its own for the type checker, which dev/ may not reach into.
const privilegesModule = path.join(root, "tests", "security", "privileges.ts");
const { privilegeSnapshot } = (await import(privilegesModule)) as { privilegeSnapshot: Snapshot };

/** The schema a snapshot line is about ("*" for default privileges in every schema). */
function lineSchema(line: string): string {
  const [kind, object] = line.split(" ");
  return kind === "schema" || kind === "default" ? object! : object!.split(".")[0]!;
}
const ours = (line: string) => ["public", "private", "*"].includes(lineSchema(line));

const db = await startHostedLike(fs.mkdtempSync(path.join(os.tmpdir(), "hosted-push-")));
console.log(`hosted-like PostgreSQL ${db.major} ready (${elapsed()})`);
const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
try {
  const [role] = await admin<{ rolsuper: boolean }[]>`select rolsuper from pg_roles where rolname = 'postgres'`;
  if (role?.rolsuper !== false) problems.push("the postgres role is a superuser: the setup is not hosted-like");

  const push = await supabaseDbPush(root, db.url, { includeSeed: true });
  console.log(push.output.trim().replace(/^/gm, "  │ "));
  if (!push.ok) {
    problems.push("supabase db push failed (output above)");
    throw new Error("push failed");
  }
  console.log(`supabase db push --include-seed: done (${elapsed()})`);

  const files = fs.readdirSync(path.join(root, "supabase", "migrations")).filter((f) => f.endsWith(".sql"));
  const applied = await admin<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
  const missing = files.map((f) => f.split("_")[0]!).filter((v) => !applied.some((a) => a.version === v));
  if (missing.length > 0) problems.push(`migrations not recorded as applied: ${missing.join(", ")}`);
  const [seeded] = await admin<{ users: number; orgs: number }[]>`
    select (select count(*)::int from auth.users) as users, (select count(*)::int from public.organizations) as orgs`;
  if (!seeded || seeded.users === 0 || seeded.orgs === 0) problems.push(`the seed did not land (users ${seeded?.users}, organizations ${seeded?.orgs})`);
  else console.log(`${applied.length} migrations recorded; seed: ${seeded.users} users, ${seeded.orgs} organizations`);

  const again = await supabaseDbPush(root, db.url, { includeSeed: true });
  if (!again.ok || !/up to date/i.test(again.output)) problems.push(`a second push was not a no-op:\n${again.output}`);

  const expected = fs.readFileSync(path.join(root, "tests", "security", "privileges.expected.txt"), "utf8").trim().split("\n");
  const actual = await privilegeSnapshot(admin);
  const diff = (a: string[], b: string[]) => a.filter((l) => !b.includes(l));
  const missingOurs = diff(expected.filter(ours), actual.filter(ours));
  const extraOurs = diff(actual.filter(ours), expected.filter(ours));
  for (const l of missingOurs) problems.push(`privilege the embedded stack has but hosted does not: ${l}`);
  for (const l of extraOurs) problems.push(`privilege hosted has but the embedded stack does not: ${l}`);
  console.log(`privileges on public and private: ${actual.filter(ours).length} lines, ${missingOurs.length + extraOurs.length} differences`);
  const platformOnlyLocal = diff(expected.filter((l) => !ours(l)), actual.filter((l) => !ours(l)));
  const platformOnlyHosted = diff(actual.filter((l) => !ours(l)), expected.filter((l) => !ours(l)));
  console.log(`platform schemas (decided by Supabase, not by our migrations): ${platformOnlyLocal.length + platformOnlyHosted.length} differences`);
  for (const l of platformOnlyLocal) console.log(`  only embedded: ${l}`);
  for (const l of platformOnlyHosted) console.log(`  only hosted:   ${l}`);
} catch (err) {
  if (problems.length === 0) problems.push(String(err));
} finally {
  await admin.end({ timeout: 5 });
  await db.stop();
}

if (problems.length > 0) {
  for (const p of problems) console.error(`  ✗ ${p}`);
  console.error(`hosted:push: ${problems.length} problem${problems.length === 1 ? "" : "s"} (${elapsed()})`);
  process.exit(1);
}
console.log(`hosted:push: migrations and seed push to a hosted-like database with the same privileges (${elapsed()})`);
