import fs from "node:fs";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "./net.ts";

describe("freePort", () => {
  it("gives a port outside the kernel's ephemeral range, which outgoing connections cannot take", async () => {
    const [lo, hi] = fs.existsSync("/proc/sys/net/ipv4/ip_local_port_range")
      ? fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number)
      : [32768, 60999];
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) expect(port < lo! || port > hi!).toBe(true);
    // And it can be listened on.
    const srv = net.createServer();
    await new Promise<void>((resolve, reject) => srv.once("error", reject).listen(ports[0], "127.0.0.1", resolve));
    await new Promise((resolve) => srv.close(resolve));
  });
});
