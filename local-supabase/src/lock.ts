import fs from "node:fs";
import path from "node:path";
import { isSameProcess, processStart } from "./processes.ts";

/**
 * One embedded stack per data directory. A second `npm start` finds the live owner in the lock and
 * says so, instead of starting a second Postgres on the same files. The lock names its owner by PID
 * and start time (processes.ts): after a kill -9, the PID may since belong to another program, which
 * must not pass for a running stack.
 */
const heldHere = new Set<string>();

type Owner = { pid: number; start: string | null };

export function acquireLock(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "local-supabase.pid");
  if (heldHere.has(file)) throw new AlreadyRunningError(process.pid, dataDir);
  const mine = JSON.stringify({ pid: process.pid, start: processStart(process.pid) });
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, mine, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw err;
    }
    const text = readOrNull(file);
    if (text === null) continue; // released meanwhile
    const owner = parseOwner(text);
    if (owner && owner.pid !== process.pid && (owner.start ? isSameProcess({ pid: owner.pid, start: owner.start }) : processStart(owner.pid) !== null)) {
      throw new AlreadyRunningError(owner.pid, dataDir);
    }
    // The owner is gone (a kill -9, a crash). Move its lock aside before taking ours, and only if it is
    // still the one just read: two starts racing for the same stale lock must not both win.
    const aside = `${file}.stale-${process.pid}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      continue;
    }
    if (readOrNull(aside) !== text) {
      // Another start took the lock between our read and our rename; give it back.
      try {
        fs.linkSync(aside, file);
      } catch {
        /* it is gone again */
      }
      fs.rmSync(aside, { force: true });
      continue;
    }
    fs.rmSync(aside, { force: true });
  }
  heldHere.add(file);
  return () => {
    heldHere.delete(file);
    try {
      if (parseOwner(fs.readFileSync(file, "utf8"))?.pid === process.pid) fs.unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
}

/** `{"pid":…,"start":…}`, or a bare PID as earlier versions wrote it. */
function parseOwner(text: string): Owner | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), start: null };
  try {
    const o = JSON.parse(trimmed) as Partial<Owner>;
    return typeof o.pid === "number" && o.pid > 0 ? { pid: o.pid, start: typeof o.start === "string" ? o.start : null } : null;
  } catch {
    return null;
  }
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

export class AlreadyRunningError extends Error {
  constructor(readonly pid: number, dataDir: string) {
    super(`local-supabase is already running (pid ${pid}) on ${dataDir}. Stop it first (Ctrl-C in its terminal, or kill ${pid}).`);
  }
}
