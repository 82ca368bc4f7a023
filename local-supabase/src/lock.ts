import fs from "node:fs";
import path from "node:path";

/**
 * One embedded stack per data directory. A second `npm start` finds the live pid in the lock and
 * says so, instead of starting a second Postgres on the same files.
 */
const heldHere = new Set<string>();

export function acquireLock(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "local-supabase.pid");
  if (heldHere.has(file)) throw new AlreadyRunningError(process.pid, dataDir);
  try {
    fs.writeFileSync(file, String(process.pid), { flag: "wx" });
  } catch {
    const pid = Number(fs.readFileSync(file, "utf8").trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new AlreadyRunningError(pid, dataDir);
    }
    fs.writeFileSync(file, String(process.pid));
  }
  heldHere.add(file);
  return () => {
    heldHere.delete(file);
    try {
      if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
}

export class AlreadyRunningError extends Error {
  constructor(readonly pid: number, dataDir: string) {
    super(`local-supabase is already running (pid ${pid}) on ${dataDir}. Stop it first (Ctrl-C in its terminal, or kill ${pid}).`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
