import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock, AlreadyRunningError } from "./lock.ts";
import { createLogger } from "./log.ts";
import { ChildRegistry, isSameProcess, processStart } from "./processes.ts";

const quiet = createLogger("processes-test", "error", true);
const dirs: string[] = [];
const spawned: ChildProcess[] = [];

afterEach(() => {
  for (const c of spawned.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dataDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "processes-test-"));
  dirs.push(d);
  return d;
}

/** A process standing in for an orphan of a killed run (a Postgres or Deno left behind). */
function orphan(): ChildProcess & { pid: number } {
  const c = spawn("sleep", ["60"], { stdio: "ignore", detached: true });
  spawned.push(c);
  return c as ChildProcess & { pid: number };
}

function exited(c: ChildProcess) {
  return new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once("exit", () => resolve())));
}

describe("processes left by a run that was killed", () => {
  it("stops what the previous run recorded, found by PID and start time", async () => {
    const dir = dataDir();
    const left = orphan();
    new ChildRegistry(dir).add(left.pid, "Edge Function x (deno)");

    // The next start on this data directory.
    const stopped = await new ChildRegistry(dir).reapLeftovers(quiet);
    await exited(left);
    expect(stopped.map((r) => r.pid)).toEqual([left.pid]);
    expect(left.signalCode).toBe("SIGTERM");
    expect(new ChildRegistry(dir).readLeftovers()).toEqual([]);
  });

  it("leaves alone a process that got a recorded PID later (PID reuse): its start time differs", async () => {
    const dir = dataDir();
    const stranger = orphan();
    const start = processStart(stranger.pid)!;
    fs.writeFileSync(path.join(dir, "local-supabase.children.json"), JSON.stringify([{ pid: stranger.pid, start: `${start}0`, what: "postgres", signal: "SIGINT" }]));

    expect(await new ChildRegistry(dir).reapLeftovers(quiet)).toEqual([]);
    expect(isSameProcess({ pid: stranger.pid, start })).toBe(true);
    expect(stranger.exitCode).toBeNull();
  });

  it("escalates to SIGKILL for a process that ignores the polite signal", async () => {
    const dir = dataDir();
    const stubborn = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"], { stdio: ["ignore", "pipe", "ignore"], detached: true });
    spawned.push(stubborn);
    await new Promise((r) => stubborn.stdout!.once("data", r));
    new ChildRegistry(dir).add(stubborn.pid, "Edge Function y (deno)");

    await new ChildRegistry(dir).reapLeftovers(quiet);
    await exited(stubborn);
    expect(stubborn.signalCode).toBe("SIGKILL");
  });
});

describe("the data directory's lock", () => {
  it("takes over a lock whose PID now belongs to another process, and refuses a live owner's", () => {
    const dir = dataDir();
    const other = orphan();
    const file = path.join(dir, "local-supabase.pid");
    fs.writeFileSync(file, JSON.stringify({ pid: other.pid, start: `${processStart(other.pid)}0` }));
    const release = acquireLock(dir);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).pid).toBe(process.pid);
    release();

    fs.writeFileSync(file, JSON.stringify({ pid: other.pid, start: processStart(other.pid) }));
    expect(() => acquireLock(dir)).toThrow(AlreadyRunningError);
  });
});
