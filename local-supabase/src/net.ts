import fs from "node:fs";
import net from "node:net";

/**
 * The kernel's ephemeral range: where it picks the local port of every outgoing connection, and of a
 * listen on port 0.
 */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (lo && hi && lo <= hi) return [lo, hi];
  } catch {
    /* not Linux */
  }
  return [32768, 60999];
}

function tryListen(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(null));
    srv.listen(port, "127.0.0.1", () => {
      const bound = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(bound));
    });
  });
}

/**
 * A port that was free a moment ago on loopback (for stacks started on demand: tests, benchmarks,
 * functions). It is chosen outside the ephemeral range: a port the kernel handed out for a listen on 0
 * is one it hands out again as the local end of any outgoing connection, and between this check and the
 * caller's own listen (a stack's migrations take seconds) a busy test run's connections took it
 * (EADDRINUSE in CI).
 */
export async function freePort(): Promise<number> {
  const [lo, hi] = ephemeralRange();
  const below: [number, number] = [10_000, lo - 1];
  const above: [number, number] = [hi + 1, 65_535];
  const spans = [below, above].filter(([a, b]) => b >= a);
  const total = spans.reduce((n, [a, b]) => n + (b - a + 1), 0);
  for (let attempt = 0; total > 0 && attempt < 50; attempt++) {
    let pick = Math.floor(Math.random() * total);
    let port = 0;
    for (const [a, b] of spans) {
      if (pick <= b - a) {
        port = a + pick;
        break;
      }
      pick -= b - a + 1;
    }
    const got = await tryListen(port);
    if (got) return got;
  }
  const any = await tryListen(0);
  if (!any) throw new Error("no free port on 127.0.0.1");
  return any;
}
