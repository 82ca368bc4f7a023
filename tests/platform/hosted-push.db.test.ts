import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackInfo } from "@review/local-supabase";
import { startHostedLike, supabaseDbPush, type HostedLike } from "../../dev/hosted-like.ts";
import { getStack, sql } from "../helpers/stack.ts";

// `npm run hosted:push` (a step of .ci/run) pushes this project's migrations and seed with the real CLI to a
// database set up like hosted. These tests prove that database refuses what only hosted refuses: each
// migration below applies on the embedded stack, where the migrations run as a superuser, and fails there.
const root = path.resolve(import.meta.dirname, "..", "..");
let hosted: HostedLike;
let stack: StackInfo;
const projects: string[] = [];

beforeAll(async () => {
  stack = await getStack();
  hosted = await startHostedLike(fs.mkdtempSync(path.join(os.tmpdir(), "hosted-test-")));
}, 120_000);
afterAll(async () => {
  await hosted?.stop();
  for (const p of projects) fs.rmSync(p, { recursive: true, force: true });
});

/**
 * A scratch project with this one's config.toml and a single migration, each with a version of its own: a
 * version the database already recorded would be skipped, not refused.
 */
let version = 20990101000000;
function projectWith(migration: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hosted-project-"));
  projects.push(dir);
  fs.mkdirSync(path.join(dir, "supabase", "migrations"), { recursive: true });
  fs.copyFileSync(path.join(root, "supabase", "config.toml"), path.join(dir, "supabase", "config.toml"));
  fs.writeFileSync(path.join(dir, "supabase", "migrations", `${version++}_attempt.sql`), migration);
  return dir;
}

/** Runs the statement on the embedded stack and rolls it back: it is allowed there. */
async function allowedLocally(statement: string) {
  await expect(
    sql(stack).begin(async (tx) => {
      await tx.unsafe(statement);
      throw new Error("rollback");
    }),
  ).rejects.toThrow("rollback");
}

const attempts: [string, string, RegExp][] = [
  ["changes a table Auth owns", "alter table auth.users add column nickname text;", /must be owner of table users/],
  ["changes the platform superuser's default privileges", "alter default privileges for role supabase_admin in schema public revoke all on tables from anon;", /permission denied/],
  ["publishes every table", "create publication everything for all tables;", /must be superuser to create FOR ALL TABLES publication/],
  ["turns triggers off the way a seed might", "set session_replication_role = replica;", /permission denied to set parameter "session_replication_role"/],
  ["creates an event trigger", "create function public.on_ddl() returns event_trigger language plpgsql as $$ begin end $$;\ncreate event trigger on_ddl on ddl_command_end execute function public.on_ddl();", /permission denied to create event trigger|must be superuser/],
];

describe("the hosted-like database refuses what hosted refuses", () => {
  it("runs PostgreSQL at the major version config.toml declares, with postgres no superuser", async () => {
    expect(hosted.major).toBe(17);
    const admin = (await import("postgres")).default(hosted.adminUrl, { max: 1 });
    try {
      const [role] = await admin<{ rolsuper: boolean }[]>`select rolsuper from pg_roles where rolname = 'postgres'`;
      expect(role?.rolsuper).toBe(false);
      const owners = await admin<{ what: string; owner: string }[]>`
        select 'auth.users' as what, tableowner as owner from pg_tables where schemaname = 'auth' and tablename = 'users'
        union all select 'realtime.messages', tableowner from pg_tables where schemaname = 'realtime' and tablename = 'messages'`;
      expect(owners).toEqual([{ what: "auth.users", owner: "supabase_auth_admin" }, { what: "realtime.messages", owner: "supabase_realtime_admin" }]);
    } finally {
      await admin.end();
    }
  });

  for (const [label, statement, error] of attempts) {
    it(`fails a push whose migration ${label}, which the embedded stack applies`, async () => {
      await allowedLocally(statement);
      const push = await supabaseDbPush(projectWith(statement), hosted.url);
      expect(push.ok).toBe(false);
      expect(push.output).toMatch(error);
    });
  }
});
