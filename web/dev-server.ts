import path from "node:path";
import fs from "node:fs";
import { createServer, preview, build, type InlineConfig } from "vite";
import { runtimeConfig } from "../vite.config.ts";

export type WebServerOptions = {
  apiUrl: string;
  anonKey: string;
  /** Default 5173; a busy port moves to the next free one (as `vite` does) unless strictPort. */
  port?: number;
  /** Fail on a busy port instead (tests and benchmarks pass a port they reserved with freePort). */
  strictPort?: boolean;
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
  // Vite reads port 0 as "use the default", so callers that need any free port reserve one themselves.
  const port = opts.port || 5173;
  // The URL returned is the real one, wherever a busy port moved it.
  const strictPort = opts.strictPort ?? false;
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
