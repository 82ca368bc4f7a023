import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { createLogger, freePort, startStack, type Stack } from "@review/local-supabase";
import { client } from "../helpers/stack.ts";
import { privilegeSnapshot } from "./privileges.ts";

// Issue "Secure by default", item 1, as the attack: the embedded default once re-granted everything on
// `public` to anon and authenticated on every start, so after one restart the anon key could call
// service-only functions. This suite starts a stack of its own, restarts it twice, and compares every
// privilege with the expected list (what the migrations leave on a fresh database), each time.
//
// The expected list is tests/security/privileges.expected.txt. After an intended change of grants in a
// migration, regenerate it with UPDATE_PRIVILEGES=1 and review the diff like any other code.

const expectedFile = path.join(import.meta.dirname, "privileges.expected.txt");
const runs = path.resolve(import.meta.dirname, "..", "..", ".data", "test-runs");
fs.mkdirSync(runs, { recursive: true });
const dataDir = fs.mkdtempSync(path.join(runs, "privileges-"));
const quiet = createLogger("privileges-test", "error");
let running: Stack | undefined;

afterAll(async () => {
  await running?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function snapshotOf(stack: Stack): Promise<string[]> {
  const sql = postgres(stack.dbUrl, { onnotice: () => {}, max: 1 });
  try {
    return await privilegeSnapshot(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

describe("privileges across restarts", () => {
  it("equal the expected list on a fresh database and after every restart; the anon key reaches nothing it should not", async () => {
    const dbPort = await freePort();
    running = await startStack({ dataDir, apiPort: 0, dbPort, log: quiet });
    expect(running.fresh).toBe(true);
    const fresh = await snapshotOf(running);
    if (process.env.UPDATE_PRIVILEGES === "1") fs.writeFileSync(expectedFile, fresh.join("\n") + "\n");
    const expected = fs.readFileSync(expectedFile, "utf8").trim().split("\n");
    expect(fresh).toEqual(expected);

    for (let restart = 1; restart <= 2; restart++) {
      await running.stop();
      running = undefined;
      running = await startStack({ dataDir, apiPort: 0, dbPort, log: quiet });
      expect(running.fresh).toBe(false);
      expect(await snapshotOf(running), `after restart ${restart}`).toEqual(expected);
    }

    // And as the attacker would check it: the anon key, after the restarts.
    const anon = client(running!);
    const peek = postgres(running!.dbUrl, { onnotice: () => {}, max: 1 });
    const [seededExperiment] = await peek`select id from public.experiments order by created_at limit 1`;
    await peek.end({ timeout: 5 });
    const attempts = await Promise.all([
      anon.rpc("raise_experiment_cost_cap", { p_experiment_id: seededExperiment!.id, p_cost_cap_usd: 100 }),
      anon.rpc("resume_experiment", { p_experiment_id: seededExperiment!.id }),
      anon.rpc("decide_improvement_case", { p_case_id: "cccccccc-0000-4000-8000-000000000007", p_decision: "approved", p_final_text: "pwned" }),
      anon.rpc("open_improvement_case", { p_feedback_id: "f0000000-0000-4000-8000-000000000001", p_suggested: "pwned" }),
      anon.rpc("take_llm_tokens", { p_org: "aaaaaaaa-0000-4000-8000-000000000001" }),
      anon.rpc("resolve_ingest_key", { p_key: "rwk_x" }),
      anon.rpc("start_job", { p_org_id: "aaaaaaaa-0000-4000-8000-000000000001", p_kind: "drift", p_name: "x" }),
      anon.rpc("rollback_prompt", { p_prompt_id: "aaaaaaaa-0000-4000-8000-0000000000b1" }),
      anon.from("feedback").select("id").limit(1),
      anon.from("audit_logs").select("id").limit(1),
      anon.from("job_queue").select("id").limit(1),
    ]);
    for (const a of attempts) {
      expect(a.error, JSON.stringify(a.data)).not.toBeNull();
      expect(a.data).toBeNull();
    }
    const sql = postgres(running!.dbUrl, { onnotice: () => {}, max: 1 });
    try {
      const [c] = await sql`select status from public.improvement_cases where id = 'cccccccc-0000-4000-8000-000000000007'`;
      expect(c!.status).toBe("pending");
    } finally {
      await sql.end({ timeout: 5 });
    }
  }, 180_000);
});
