import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Logger } from "../log.ts";
import type { FunctionConfig } from "./config.ts";
import { freePort } from "../net.ts";

const require = createRequire(import.meta.url);
const bootstrap = path.join(path.dirname(fileURLToPath(import.meta.url)), "serve-function.ts");

/** The deno binary the `deno` npm package installed; nothing is downloaded at run time. */
export function denoBinary(): string {
  const pkgDir = path.dirname(require.resolve("deno/package.json"));
  return path.join(pkgDir, "deno");
}

type Worker = { port: number; child: ChildProcess; ready: Promise<void> };

/**
 * One Deno process per function, started on first call and kept warm (like the edge runtime's
 * worker pool). A function that exits is restarted on its next call; the gateway never goes down with it.
 */
export class FunctionRunner {
  private workers = new Map<string, Worker>();
  constructor(
    private readonly root: string,
    private readonly env: Record<string, string>,
    private readonly log: Logger,
  ) {}

  async portFor(fn: FunctionConfig): Promise<number> {
    let w = this.workers.get(fn.name);
    if (!w || w.child.exitCode !== null || w.child.signalCode !== null) {
      w = await this.spawn(fn);
      this.workers.set(fn.name, w);
    }
    await w.ready;
    return w.port;
  }

  private async spawn(fn: FunctionConfig): Promise<Worker> {
    const port = await freePort();
    const child = spawn(
      denoBinary(),
      [
        "run",
        "--quiet",
        "--no-prompt",
        // The function's own deno.json, the import map `supabase functions deploy` bundles it with, so a
        // bare import it lacks fails here as it would there. Its packages come from node_modules, at the exact
        // versions that deno.json pins (Deno refuses any other); deno.lock is for the registry-resolved bundle
        // (dev/check-bundles.ts), which node_modules, integrity-checked by npm ci, stands in for here.
        "--node-modules-dir=manual",
        ...(fn.importMap ? [`--config=${fn.importMap}`, "--no-lock"] : ["--no-config"]),
        "--allow-net",
        "--allow-env",
        `--allow-read=${this.root}`,
        "--allow-sys",
        bootstrap,
        fn.entrypoint,
        String(port),
      ],
      {
        cwd: path.join(this.root, "edge-functions"),
        env: { ...this.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", DENO_DIR: path.join(this.env.LOCAL_SUPABASE_DATA_DIR ?? this.root, "deno-cache") },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const flog = this.log.child(fn.name);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`function ${fn.name} did not start within 30s`)), 30_000);
      child.stdout!.on("data", (chunk: Buffer) => {
        const text = chunk.toString();
        if (text.includes(`listening ${port}`)) {
          clearTimeout(timer);
          resolve();
        }
        for (const line of text.split("\n")) if (line.trim() && !line.startsWith("listening ")) flog.info(line);
      });
      child.stderr!.on("data", (chunk: Buffer) => {
        for (const line of chunk.toString().split("\n")) if (line.trim()) flog.warn(line);
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`function ${fn.name} exited with code ${code} before it was ready`));
      });
    });
    ready.catch(() => {});
    return { port, child, ready };
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.workers.values()].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
            w.child.once("exit", () => resolve());
            w.child.kill("SIGTERM");
          }),
      ),
    );
    this.workers.clear();
  }
}

