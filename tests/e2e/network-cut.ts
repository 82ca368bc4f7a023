import net from "node:net";

/**
 * A loopback TCP proxy in front of the gateway whose line can be cut, for one browser window.
 * Playwright's `setOffline` stops new requests but leaves open WebSockets running (microsoft/playwright#4910),
 * so it cannot take a Realtime connection down; cutting the TCP line does, as a lost network would.
 */
export async function startCuttableProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const live = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) return void client.destroy();
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      live.add(s);
      s.on("close", () => live.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Drops every open connection and refuses new ones until `restore()`. */
    cut() {
      cut = true;
      for (const s of live) s.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of live) s.destroy();
        server.close(() => resolve());
      }),
  };
}
