import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Logger } from "../log.ts";
import type { FunctionConfig } from "./config.ts";
import { freePort } from "../net.ts";
import type { ChildRegistry } from "../processes.ts";

const require = createRequire(import.meta.url);
const bootstrap = path.join(path.dirname(fileURLToPath(import.meta.url)), "serve-function.ts");

/** The deno binary the `deno` npm package installed; nothing is downloaded at run time. */
export function denoBinary(): string {
  const pkgDir = path.dirname(require.resolve("deno/package.json"));
  return path.join(pkgDir, "deno");
}

type Worker = { port: number; child: ChildProcess; ready: Promise<void>; failed: boolean };

/**
 * One Deno process per function, started on first call and kept warm (like the edge runtime's
 * worker pool). A function that exits is restarted on its next call; the gateway never goes down with it.
 *
 * They end with the gateway however it ends: each watches its stdin, a pipe the gateway holds and never
 * writes to, and exits when it closes (serve-function.ts), which a kill -9 of the gateway does too. Each
 * is recorded in the data directory (processes.ts), so a later start stops one that did not.
 */
export class FunctionRunner {
  private workers = new Map<string, Worker>();
  private starting = new Map<string, Promise<Worker>>();
  constructor(
    private readonly root: string,
    private readonly env: Record<string, string>,
    private readonly log: Logger,
    private readonly children?: ChildRegistry,
  ) {}

  async portFor(fn: FunctionConfig): Promise<number> {
    let w = this.workers.get(fn.name);
    if (!w || w.failed || w.child.exitCode !== null || w.child.signalCode !== null) {
      if (w?.failed && w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
      // Concurrent first calls share one process: a second one would be started and never stopped.
      let starting = this.starting.get(fn.name);
      if (!starting) {
        starting = this.spawn(fn).then((started) => {
          this.workers.set(fn.name, started);
          return started;
        });
        this.starting.set(fn.name, starting);
        void starting.finally(() => this.starting.delete(fn.name)).catch(() => undefined);
      }
      w = await starting;
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
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    this.children?.add(child.pid, `Edge Function ${fn.name} (deno)`, "SIGTERM");
    const flog = this.log.child(fn.name);
    // A pipe to a process that died reports EPIPE; the exit itself is handled below.
    child.stdin!.on("error", () => undefined);
    child.stdout!.on("error", () => undefined);
    child.stderr!.on("error", () => undefined);
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
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`function ${fn.name} exited (${signal ?? `code ${code}`}) before it was ready`));
      });
      // No Deno binary, or not executable: an `error` event, which unhandled would end the gateway.
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`function ${fn.name} could not be started: ${err.message}`));
      });
    });
    child.on("exit", () => this.children?.remove(child.pid));
    const worker: Worker = { port, child, ready, failed: false };
    ready.catch(() => {
      // Started again on the next call (a spawn error leaves no exit code to tell by).
      worker.failed = true;
    });
    return worker;
  }

  /** SIGTERM, and SIGKILL for one still running after 2 s: a stop is bounded (Ctrl-C ends everything within 10 s). */
  async stop(): Promise<void> {
    await Promise.allSettled(this.starting.values());
    await Promise.all(
      [...this.workers.values()].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null || w.child.signalCode !== null || w.child.pid === undefined) return resolve();
            const force = setTimeout(() => w.child.kill("SIGKILL"), 2000);
            w.child.once("exit", () => {
              clearTimeout(force);
              resolve();
            });
            w.child.kill("SIGTERM");
          }),
      ),
    );
    this.workers.clear();
  }
}

