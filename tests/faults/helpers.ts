import fs from "node:fs";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { waitFor } from "../helpers/stack.ts";

export const repoRoot = path.resolve(import.meta.dirname, "..", "..");

/** A fresh data directory for one test's stack, under the runs folder global setup uses. */
export function runDir(label: string): string {
  const runs = path.join(repoRoot, ".data", "test-runs");
  fs.mkdirSync(runs, { recursive: true });
  return fs.mkdtempSync(path.join(runs, `${label}-`));
}

export type Started = {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/**
 * `npm start` as a user runs it (main.ts under tsx), in its own process group as a terminal would run
 * it, so a Ctrl-C can be sent to the whole group. The worker and the web app stay off: the platform is
 * what is under test.
 */
export function startMain(opts: { cwd?: string; env: Record<string, string | undefined> }): Started {
  const env: Record<string, string | undefined> = { ...process.env, LOCAL_SUPABASE_WORKER: "off", LOCAL_SUPABASE_WEB: "off", LOCAL_SUPABASE_MAIL_PORT: "0", LOG_LEVEL: "info", ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, ["--import", "tsx", "dev/start.ts"], {
    cwd: opts.cwd ?? repoRoot,
    env: env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, pid: child.pid!, output: () => out, exited };
}

/** Waits for the banner; fails with the output if the process exits or says it could not start. */
export async function waitUp(s: Started, timeout = 90_000): Promise<void> {
  let gone = false;
  void s.exited.then(() => (gone = true));
  await waitFor(
    () => {
      if (gone || /could not start|already running/.test(s.output())) throw new Error(`npm start failed:\n${s.output()}`);
      return s.output().includes("Review workspace is up");
    },
    { timeout, interval: 100, message: "npm start to be up" },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- output ---\n${s.output()}`);
  });
}

export type Proc = { pid: number; start: string; comm: string };

function stat(pid: number): { ppid: number; start: string; comm: string } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const comm = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") return null;
    return { ppid: Number(fields[1]), start: fields[19]!, comm };
  } catch {
    return null;
  }
}

/** Every process descending from `root` now (children, their children…), read from /proc. */
export function descendants(root: number): Proc[] {
  const byParent = new Map<number, Proc[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (!s) continue;
    const list = byParent.get(s.ppid) ?? [];
    list.push({ pid: Number(entry), start: s.start, comm: s.comm });
    byParent.set(s.ppid, list);
  }
  const out: Proc[] = [];
  const queue = [root];
  while (queue.length) {
    for (const p of byParent.get(queue.shift()!) ?? []) {
      out.push(p);
      queue.push(p.pid);
    }
  }
  return out;
}

/** The ones still running: same PID and same start time (a reused PID is another process). */
export function stillRunning(procs: Proc[]): Proc[] {
  return procs.filter((p) => stat(p.pid)?.start === p.start);
}

/** Whether something accepts connections on the port (an orphan holding it would). */
export async function portInUse(port: number): Promise<boolean> {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Ends a test's process group whatever state it is in (after a failed assertion). */
export function killGroup(s: Started | undefined) {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  try {
    process.kill(-s.pid, "SIGKILL");
  } catch {
    /* gone */
  }
}
