import fs from "node:fs";

/**
 * CPU time (ms) used so far by a process and by everything it started, read from Linux's /proc: the
 * REST benchmark splits each request's CPU between its own client, the gateway and Postgres, which all
 * share this machine's cores. Postgres runs one process per connection under its postmaster, so its
 * figure is the postmaster's tree, including backends that have already exited (their time lands in
 * the postmaster's cutime/cstime once it has reaped them).
 *
 * Null where there is no /proc (the benchmark then prints no CPU split).
 */

const TICK_MS = 10; // USER_HZ is 100 on every Linux Node runs on; /proc counts in those ticks.

/** utime + stime (+ cutime + cstime when `reaped`) of one process, in ms; null once it is gone. */
function ownMs(pid: number, reaped: boolean): number | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses; fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const at = (n: number) => Number(fields[n - 3]);
  return (at(14) + at(15) + (reaped ? at(16) + at(17) : 0)) * TICK_MS;
}

function children(pid: number): number[] {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((tid) => fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(" "))
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function comm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Samples of a gateway process's CPU and its Postgres's, or null where /proc cannot tell. */
export function serverCpu(gatewayPid: number): (() => { gateway: number; postgres: number }) | null {
  if (ownMs(gatewayPid, false) === null) return null;
  return () => {
    // NaN with DATABASE_URL: that Postgres is not the gateway's to measure.
    const postmaster = children(gatewayPid).find((pid) => comm(pid) === "postgres");
    let postgres = NaN;
    if (postmaster !== undefined) {
      postgres = ownMs(postmaster, true) ?? NaN;
      for (const backend of children(postmaster)) postgres += ownMs(backend, false) ?? 0;
    }
    return { gateway: ownMs(gatewayPid, false) ?? NaN, postgres };
  };
}
