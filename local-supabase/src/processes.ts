import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import type { Logger } from "./log.ts";

/**
 * The child processes a stack starts (Postgres and its supervising shell, one Deno process per Edge
 * Function), recorded in the data directory with the moment each started. After a kill -9 of the
 * gateway nothing of ours runs to stop them; they watch a pipe from us and end by themselves
 * (postgres.ts, functions/runner.ts), and the next start stops whatever is still there, found by
 * these records and never by a process name, so another stack's Postgres or a user's Deno is never hit.
 *
 * A PID alone is not an identity: after a reboot or a long time the number belongs to something
 * else. Each record keeps the process's start time, and a process is ours only if both match.
 */
export type ChildRecord = { pid: number; start: string; what: string; signal: StopSignal };

/** How a recorded process is asked to stop: Postgres with SIGINT (fast shutdown), the rest with SIGTERM. */
export type StopSignal = "SIGINT" | "SIGTERM";

const FILE = "local-supabase.children.json";

export class ChildRegistry {
  private readonly file: string;
  private records: ChildRecord[] = [];

  constructor(dataDir: string) {
    this.file = path.join(dataDir, FILE);
  }

  /** Records a child the moment it exists (its start time is read now, while it surely is ours). */
  add(pid: number | undefined, what: string, signal: StopSignal = "SIGTERM") {
    if (!pid) return;
    const start = processStart(pid);
    if (!start) return; // already gone
    this.records.push({ pid, start, what, signal });
    this.write();
  }

  remove(pid: number | undefined) {
    const before = this.records.length;
    this.records = this.records.filter((r) => r.pid !== pid);
    if (this.records.length !== before) this.write();
  }

  /** The records left by the previous run, if it did not get to clear them (it died). */
  readLeftovers(): ChildRecord[] {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, "utf8")) as unknown;
      return Array.isArray(parsed) ? parsed.filter(isRecord) : [];
    } catch {
      return [];
    }
  }

  /** Stops every live process recorded by a previous run on this data directory; returns what it stopped. */
  async reapLeftovers(log: Logger): Promise<ChildRecord[]> {
    const stopped = await stopRecorded(this.readLeftovers(), log);
    this.records = [];
    this.write();
    return stopped;
  }

  /** Last resort when a shutdown overruns: SIGKILL to every child still recorded. */
  killAll() {
    for (const r of this.records) if (isSameProcess(r)) signal(r.pid, "SIGKILL");
  }

  private write() {
    // Rename over the old file, so a crash mid-write never leaves half a list.
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(this.records) + "\n");
      fs.renameSync(tmp, this.file);
    } catch {
      /* the data directory went away (a test removing it); nothing left to record for */
    }
  }
}

function isRecord(v: unknown): v is ChildRecord {
  const r = v as ChildRecord;
  return !!r && Number.isInteger(r.pid) && r.pid > 1 && typeof r.start === "string" && typeof r.what === "string" && (r.signal === "SIGINT" || r.signal === "SIGTERM");
}

/**
 * Asks each recorded process that still runs (same PID and start time) to stop, then escalates: Postgres
 * gets SIGINT (fast shutdown) and 5 s, then SIGQUIT (immediate) and 2 s; anything else SIGTERM and 2 s;
 * then SIGKILL. SIGCONT follows each signal, so a stopped process acts on it too.
 */
export async function stopRecorded(records: ChildRecord[], log: Logger): Promise<ChildRecord[]> {
  const live = records.filter(isSameProcess);
  await Promise.all(
    live.map(async (r) => {
      log.warn(`stopping ${r.what} (pid ${r.pid}) left running by a previous run that did not shut down`);
      const ladder: Array<[NodeJS.Signals, number]> = r.signal === "SIGINT" ? [["SIGINT", 5000], ["SIGQUIT", 2000]] : [["SIGTERM", 2000]];
      for (const [sig, wait] of ladder) {
        signal(r.pid, sig);
        signal(r.pid, "SIGCONT");
        if (await exited(r, wait)) return;
      }
      signal(r.pid, "SIGKILL");
      await exited(r, 2000);
    }),
  );
  return live;
}

async function exited(r: ChildRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isSameProcess(r)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return !isSameProcess(r);
}

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone meanwhile */
  }
}

/** Whether the recorded process still runs: its PID is alive and started when the record says. */
export function isSameProcess(r: Pick<ChildRecord, "pid" | "start">): boolean {
  return isAlive(r.pid) && processStart(r.pid) === r.start;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

let bootId: string | null | undefined;

/**
 * When a process started, as a string that differs for any other process that later gets the same PID:
 * on Linux the start time in clock ticks since boot (/proc/<pid>/stat field 22) with the boot id; elsewhere
 * what `ps` reports. Null when there is no such process. A zombie (exited, not yet reaped) counts as gone.
 */
export function processStart(pid: number): string | null {
  if (process.platform === "linux") {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return null;
    }
    // The command name is in parentheses and may itself hold spaces or parentheses; fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return null;
    bootId ??= readBootId();
    return `${bootId ?? "boot"}:${fields[19]}`;
  }
  try {
    const out = execFileSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return out || null;
  } catch {
    return null;
  }
}

function readBootId(): string | null {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return null;
  }
}

/** The executable name of a live process (Linux), to tell a Postgres from whatever reused its PID. */
export function processName(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return null;
  }
}
