import path from "node:path";
import fs from "node:fs";
import net from "node:net";
import { createServer, preview, build, type InlineConfig } from "vite";
import { runtimeConfig } from "../vite.config.ts";

export type WebServerOptions = {
  apiUrl: string;
  anonKey: string;
  port?: number;
  host?: string;
  /** dev: Vite dev server with HMR; preview: serves the built bundle (built first when missing). */
  mode: "dev" | "preview";
  /** preview only: rebuild even when dist/web exists. */
  rebuild?: boolean;
};

export type WebServer = { url: string; close(): Promise<void> };

const repoRoot = path.resolve(import.meta.dirname, "..");
const configFile = path.join(repoRoot, "vite.config.ts");
export const distDir = process.env.WEB_OUT_DIR ? path.resolve(process.env.WEB_OUT_DIR) : path.join(repoRoot, "dist", "web");

/** Starts the SPA against the given Supabase API (the embedded stack or a real project). */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? "127.0.0.1";
  // Vite reads port 0 as "use the default"; a free port is picked here instead (tests run several).
  const port = opts.port === 0 ? await freePort(host) : (opts.port ?? 5173);
  // A busy 5173 moves to the next free port (as `vite` does); the URL returned is the real one.
  const strictPort = opts.port === 0;
  const inline: InlineConfig = {
    configFile,
    logLevel: "warn",
    plugins: [runtimeConfig({ supabaseUrl: opts.apiUrl, supabaseAnonKey: opts.anonKey })],
  };
  if (opts.mode === "dev") {
    const server = await createServer({ ...inline, server: { port, host, strictPort } });
    await server.listen();
    const url = server.resolvedUrls?.local[0] ?? `http://${host}:${port}/`;
    return { url: url.replace(/\/$/, ""), close: () => server.close() };
  }
  if (opts.rebuild || !fs.existsSync(path.join(distDir, "index.html"))) await buildWeb();
  const server = await preview({ ...inline, preview: { port, host, strictPort } });
  const url = server.resolvedUrls?.local[0] ?? `http://${host}:${port}/`;
  return {
    url: url.replace(/\/$/, ""),
    close: () => new Promise<void>((resolve, reject) => server.httpServer.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** `vite build` through the JS API (the same as `npm run build`). */
export async function buildWeb(): Promise<void> {
  await build({ configFile, logLevel: "warn" });
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}
