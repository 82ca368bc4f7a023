import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { scheduleThemes } from "../../worker/src/features/themes/handler.ts";
import { createOrg } from "../helpers/org.ts";
import { getStack, sql } from "../helpers/stack.ts";

const DAY_MS = 86_400_000;
let own: postgres.Sql | undefined;
afterAll(async () => {
  await own?.end();
});

describe("scheduled themes", () => {
  it("asks once per interval, and not at all for an organization whose themes were just computed", async () => {
    const stack = await getStack();
    const [fresh, recent] = await Promise.all([createOrg(stack, "themes-due"), createOrg(stack, "themes-recent")]);
    const db = sql(stack);
    for (const org of [fresh, recent]) {
      await db`insert into public.feedback (org_id, rating, query, response) select ${org.id}, 1, 'broken ' || g, 'a' from generate_series(1, 3) g`;
    }
    // The seed's first run (or someone's recompute) an hour ago.
    await db`insert into public.jobs (org_id, kind, name, status, created_at) values (${recent.id}, 'themes', 'first run', 'completed', now() - interval '1 hour')`;
    own = postgres(stack.dbUrl, { max: 1, onnotice: () => undefined });
    const deps = { sql: own, env: { THEMES_INTERVAL_MS: DAY_MS } } as unknown as Parameters<typeof scheduleThemes>[0];
    const themesJobs = async (orgId: string) => (await db`select count(*)::int as n from public.jobs where org_id = ${orgId} and kind = 'themes'`)[0]!.n;

    await scheduleThemes(deps);
    await scheduleThemes(deps); // the same interval: the schedule key dedupes
    expect(await themesJobs(fresh.id)).toBe(1);
    expect(await themesJobs(recent.id)).toBe(1);
  });
});
