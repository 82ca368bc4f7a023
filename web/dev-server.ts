import path from "node:path";
import fs from "node:fs";
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
export const distDir = path.join(repoRoot, "dist", "web");

/** Starts the SPA against the given Supabase API (the embedded stack or a real project). */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? "127.0.0.1";
  const inline: InlineConfig = {
    configFile,
    logLevel: "warn",
    plugins: [runtimeConfig({ supabaseUrl: opts.apiUrl, supabaseAnonKey: opts.anonKey })],
  };
  if (opts.mode === "dev") {
    const server = await createServer({ ...inline, server: { port: opts.port ?? 5173, host, strictPort: opts.port !== undefined && opts.port !== 0 } });
    await server.listen();
    const url = server.resolvedUrls?.local[0] ?? `http://${host}:${opts.port ?? 5173}/`;
    return { url: url.replace(/\/$/, ""), close: () => server.close() };
  }
  if (opts.rebuild || !fs.existsSync(path.join(distDir, "index.html"))) await buildWeb();
  const server = await preview({ ...inline, preview: { port: opts.port ?? 5173, host, strictPort: opts.port !== undefined && opts.port !== 0 } });
  const url = server.resolvedUrls?.local[0] ?? `http://${host}:${opts.port ?? 5173}/`;
  return {
    url: url.replace(/\/$/, ""),
    close: () => new Promise<void>((resolve, reject) => server.httpServer.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** `vite build` through the JS API (the same as `npm run build`). */
export async function buildWeb(): Promise<void> {
  await build({ configFile, logLevel: "warn" });
}
