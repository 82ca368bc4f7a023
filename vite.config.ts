import path from "node:path";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

const webRoot = path.resolve(import.meta.dirname, "web");

/**
 * The SPA reads its Supabase URL and anon key from `VITE_SUPABASE_URL` / `VITE_SUPABASE_ANON_KEY` at
 * build time (a real project). Locally, web/dev-server.ts serves `/runtime-config.js` with the embedded
 * stack's values instead, so one built bundle works against whichever stack started it.
 */
export function runtimeConfig(env: { supabaseUrl: string; supabaseAnonKey: string } | null): Plugin {
  const body = `window.__REVIEW_ENV__ = ${JSON.stringify(env)};\n`;
  // Returns nothing on purpose: a function returned from configureServer would run as a post hook.
  const serve = (server: { middlewares: { use(fn: (req: { url?: string }, res: { setHeader(k: string, v: string): void; end(b: string): void }, next: () => void) => void): unknown } }): void => {
    server.middlewares.use((req, res, next) => {
      if (!env || req.url?.split("?")[0] !== "/runtime-config.js") return next();
      res.setHeader("content-type", "text/javascript; charset=utf-8");
      res.setHeader("cache-control", "no-store");
      res.end(body);
    });
  };
  return { name: "review-runtime-config", configureServer: serve, configurePreviewServer: serve };
}

export default defineConfig({
  root: webRoot,
  publicDir: path.join(webRoot, "public"),
  plugins: [react()],
  build: {
    // WEB_OUT_DIR: a build of its own (parallel test runs in one checkout must not overwrite each other's).
    outDir: process.env.WEB_OUT_DIR ? path.resolve(process.env.WEB_OUT_DIR) : path.resolve(import.meta.dirname, "dist", "web"),
    emptyOutDir: true,
    sourcemap: true,
    rolldownOptions: {
      output: {
        // Heavy, route-specific libraries get their own chunks so the inbox does not download them.
        codeSplitting: {
          groups: [
            { name: "react", test: /node_modules[\\/](react|react-dom|scheduler|react-router)[\\/]/ },
            { name: "supabase", test: /node_modules[\\/]@supabase[\\/]/ },
          ],
        },
      },
    },
  },
  server: { port: 5173, strictPort: false },
  preview: { port: 5173, strictPort: false },
});
