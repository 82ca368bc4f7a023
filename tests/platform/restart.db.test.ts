import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, createLogger, startStack, type Stack } from "@review/local-supabase";
import { AlreadyRunningError } from "@review/local-supabase/lock";
import { client, serviceClient } from "../helpers/stack.ts";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "restart-test-"));
const quiet = createLogger("restart-test", "error");
let running: Stack | undefined;

afterAll(async () => {
  await running?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("the embedded default across restarts", () => {
  it("keeps data, keys and sessions across a restart and refuses a second start on the same data", async () => {
    const dbPort = await freePort();
    running = await startStack({ dataDir, apiPort: 0, dbPort, log: quiet });
    expect(running.fresh).toBe(true);
    const first = running;
    const email = `restart-${randomUUID().slice(0, 8)}@test.example.com`;
    const made = await serviceClient(first).auth.admin.createUser({ email, password: "restart-pass-1", email_confirm: true });
    expect(made.error).toBeNull();
    const c = client(first);
    expect((await c.auth.signInWithPassword({ email, password: "restart-pass-1" })).error).toBeNull();
    const org = await c.from("organizations").insert({ name: "Survivor", slug: `surv-${randomUUID().slice(0, 8)}` }).select().single();
    expect(org.error).toBeNull();

    await expect(startStack({ dataDir, apiPort: 0, dbPort: await freePort(), log: quiet })).rejects.toBeInstanceOf(AlreadyRunningError);

    await first.stop();
    running = undefined;
    const second = await startStack({ dataDir, apiPort: 0, dbPort, log: quiet });
    running = second;
    expect(second.fresh).toBe(false);
    expect(second.anonKey).toBe(first.anonKey);

    const again = client(second);
    const signIn = await again.auth.signInWithPassword({ email, password: "restart-pass-1" });
    expect(signIn.error).toBeNull();
    const orgs = await again.from("organizations").select("name").eq("id", org.data!.id);
    expect(orgs.data).toEqual([{ name: "Survivor" }]);
    const info = JSON.parse(fs.readFileSync(path.join(dataDir, "local-supabase.json"), "utf8"));
    expect(info.apiUrl).toBe(second.apiUrl);
  });
});

