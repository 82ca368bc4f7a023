import { randomUUID } from "node:crypto";
import type { SupabaseClient } from "@supabase/supabase-js";
import type postgres from "postgres";
import type { StackInfo } from "@review/local-supabase";
import { client, createUser, sql, type TestUser } from "../helpers/stack.ts";

export const ROLES = ["admin", "curator", "reviewer", "manager"] as const;
export type Role = (typeof ROLES)[number];
/** Who tries: a member of org A in each role, nobody (anon), and the admin of another org (B). */
export const ACTORS = ["admin", "curator", "reviewer", "manager", "anon", "otherAdmin"] as const;
export type Actor = (typeof ACTORS)[number];

export type People = Record<Exclude<Actor, "anon">, TestUser> & { anon: SupabaseClient };

/** Six signed-in people, created once per file; each test still gets its own organizations. */
export async function createPeople(stack: StackInfo): Promise<People> {
  const [admin, curator, reviewer, manager, otherAdmin] = await Promise.all(
    (["admin", "curator", "reviewer", "manager", "other-admin"] as const).map((r) => createUser(stack, `rls-${r}`)),
  );
  return { admin: admin!, curator: curator!, reviewer: reviewer!, manager: manager!, otherAdmin: otherAdmin!, anon: client(stack) };
}

export function clientOf(people: People, actor: Actor): SupabaseClient {
  return actor === "anon" ? people.anon : people[actor].client;
}

export type World = {
  db: postgres.Sql;
  people: People;
  /** Org A: the four role users are members. */
  orgA: string;
  /** Org B: only otherAdmin, as admin. */
  orgB: string;
  /** Inserts one row as the superuser and returns it. */
  row(table: string, values: Record<string, unknown>): Promise<Record<string, any>>;
  /** A fresh auth user (with profile, via the trigger) that is nobody's member yet. */
  bareUser(): Promise<string>;
};

/** Fresh organizations A and B (unique slugs) with memberships set directly in SQL. */
export async function createWorld(stack: StackInfo, people: People): Promise<World> {
  const db = sql(stack);
  const tag = randomUUID().slice(0, 8);
  const [a] = await db`insert into public.organizations (name, slug, created_by) values (${`RLS A ${tag}`}, ${`rls-a-${tag}`}, ${people.admin.id}) returning id`;
  const [b] = await db`insert into public.organizations (name, slug, created_by) values (${`RLS B ${tag}`}, ${`rls-b-${tag}`}, ${people.otherAdmin.id}) returning id`;
  const orgA = a!.id as string;
  const orgB = b!.id as string;
  await db`insert into public.memberships (org_id, user_id, role) values
    (${orgA}, ${people.curator.id}, 'curator'), (${orgA}, ${people.reviewer.id}, 'reviewer'), (${orgA}, ${people.manager.id}, 'manager')`;
  return {
    db,
    people,
    orgA,
    orgB,
    async row(table, values) {
      const [r] = await db`insert into ${db(`public.${table}`)} ${db(values as Record<string, postgres.ParameterOrJSON<never>>)} returning *`;
      return r as Record<string, any>;
    },
    async bareUser() {
      const id = randomUUID();
      await db`insert into auth.users (id, aud, role, email) values (${id}, 'authenticated', 'authenticated', ${`bare-${id.slice(0, 8)}@test.example.com`})`;
      return id;
    },
  };
}
