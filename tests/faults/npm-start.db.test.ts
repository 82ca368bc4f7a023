import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type StackInfo } from "@review/local-supabase";
import { serviceClient, waitFor } from "../helpers/stack.ts";
import { descendants, killGroup, portInUse, runDir, startMain, stillRunning, waitUp, type Proc, type Started } from "./helpers.ts";

/**
 * `npm start` (main.ts) as a process of its own, killed the ways a developer's machine kills it: kill -9
 * (an OOM kill, a closed laptop lid, a crashed terminal), and Ctrl-C. The next start must come up on
 * the same data and ports without help, and nothing of the killed run may be left behind.
 */
let dataDir: string;
let env: Record<string, string>;
let ports: { api: number; db: number };
const started: Started[] = [];

beforeAll(async () => {
  dataDir = runDir("faults-npm-start");
  ports = { api: await freePort(), db: await freePort() };
  env = { LOCAL_SUPABASE_DATA_DIR: dataDir, LOCAL_SUPABASE_API_PORT: String(ports.api), LOCAL_SUPABASE_DB_PORT: String(ports.db) };
});

afterAll(async () => {
  for (const s of started) killGroup(s);
  await Promise.all(started.map((s) => Promise.race([s.exited, new Promise((r) => setTimeout(r, 10_000))])));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function start(): Started {
  const s = startMain({ env });
  started.push(s);
  return s;
}

function info(): StackInfo {
  return JSON.parse(fs.readFileSync(path.join(dataDir, "local-supabase.json"), "utf8")) as StackInfo;
}

/** Makes the gateway start an Edge Function, so there is a Deno process to leave behind. */
async function startDeno(apiUrl: string) {
  const res = await fetch(`${apiUrl}/functions/v1/health`);
  expect(res.status).toBe(200);
}

async function restWorks() {
  const { data, error } = await serviceClient(info()).from("organizations").select("slug").eq("slug", "acme");
  expect(error).toBeNull();
  expect(data).toEqual([{ slug: "acme" }]);
}

describe("npm start after faults", () => {
  it("recovers after a kill -9 of the gateway: no 'already running', no port held, nothing of the killed run left", async () => {
    const first = start();
    await waitUp(first);
    await startDeno(info().apiUrl);
    const before: Proc[] = descendants(first.pid);
    expect(before.map((p) => p.comm)).toEqual(expect.arrayContaining(["postgres", "deno"]));

    process.kill(first.pid, "SIGKILL");
    await first.exited;
    const killedAt = Date.now();
    // Its children notice by themselves (each watches a pipe from it) and end: Postgres with a fast
    // shutdown, Deno at once. (What does not is stopped by the next start: processes.test.ts.)
    await waitFor(() => stillRunning(before).length === 0, { timeout: 10_000, message: `the killed run's children to end: ${JSON.stringify(stillRunning(before))}` });
    console.log(`the killed run's Postgres and Deno ended ${Date.now() - killedAt} ms after the kill -9`);

    const second = start();
    await waitUp(second);
    const recoveredMs = Date.now() - killedAt;
    console.log(`npm start came back ${recoveredMs} ms after the kill -9 of the previous one`);
    expect(second.output()).not.toMatch(/already running/);
    expect(stillRunning(before)).toEqual([]);
    await restWorks();
  }, 180_000);

  it("Ctrl-C stops everything within 10 s and leaves no process and no port behind", async () => {
    const running = started.at(-1)!;
    await startDeno(info().apiUrl);
    const children = descendants(running.pid);
    expect(children.map((p) => p.comm)).toEqual(expect.arrayContaining(["postgres", "deno"]));

    const t0 = Date.now();
    // A terminal's Ctrl-C goes to the whole foreground process group.
    process.kill(-running.pid, "SIGINT");
    const { code } = await running.exited;
    await waitFor(() => stillRunning(children).length === 0, { timeout: 10_000, message: "the children to end" }).catch(() => undefined);
    const stoppedMs = Date.now() - t0;
    console.log(`Ctrl-C stopped everything in ${stoppedMs} ms`);
    expect(code).toBe(0);
    expect(stillRunning(children)).toEqual([]);
    expect(stoppedMs).toBeLessThan(10_000);
    expect(await portInUse(ports.api)).toBe(false);
    expect(await portInUse(ports.db)).toBe(false);
    expect(running.output()).toMatch(/stopped cleanly/);
  }, 60_000);

  it("starts when postmaster.pid names a PID that another cluster's Postgres has since taken (as after a reboot)", async () => {
    // The shared test stack's postmaster stands in for the process that got the PID.
    const stackFile = process.env.TEST_STACK_FILE;
    expect(stackFile, "run with tests/vitest.config.ts").toBeTruthy();
    const otherCluster = path.join((JSON.parse(fs.readFileSync(stackFile!, "utf8")) as StackInfo).dataDir, "postgres");
    const otherPid = fs.readFileSync(path.join(otherCluster, "postmaster.pid"), "utf8").split("\n")[0]!;
    const pidFile = path.join(fs.realpathSync(path.join(dataDir, "postgres")), "postmaster.pid");
    fs.writeFileSync(pidFile, `${otherPid}\n${path.dirname(pidFile)}\n`);

    const third = start();
    await waitUp(third);
    await restWorks();
    expect(third.output()).toMatch(/removed a stale postmaster\.pid/);
    // The other cluster's Postgres was not touched.
    expect(fs.readFileSync(path.join(otherCluster, "postmaster.pid"), "utf8").split("\n")[0]).toBe(otherPid);
    process.kill(-third.pid, "SIGINT");
    expect((await third.exited).code).toBe(0);
  }, 120_000);
});
