import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, type StackInfo } from "@review/local-supabase";
import { serviceClient } from "../helpers/stack.ts";
import { killGroup, repoRoot, startMain, waitUp, type Started } from "./helpers.ts";

/**
 * A root user clones the repository into their home, which is 0700 (as /root is), and runs `npm start`.
 * Postgres refuses to run as root, so it runs as the `postgres` user, who cannot enter that home: not
 * its binaries inside node_modules, not the data directory. It must work all the same, without the
 * home's mode being changed. (CI runs as root, so this runs there.)
 */
const asRoot = process.getuid?.() === 0;
let home: string | undefined;
let running: Started | undefined;

afterAll(async () => {
  killGroup(running);
  if (running) await Promise.race([running.exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (home) {
    // The cluster the start placed outside the clone (README, "As root").
    const link = path.join(home, "app", ".data", "postgres");
    try {
      const cluster = path.dirname(fs.readlinkSync(link));
      if (cluster.includes(`${path.sep}clusters${path.sep}`)) fs.rmSync(cluster, { recursive: true, force: true });
    } catch {
      /* not a link: the cluster was inside the clone */
    }
    fs.rmSync(home, { recursive: true, force: true });
  }
});

/**
 * The working tree as a fresh clone would have it (tracked and new files, as they are now), and its
 * node_modules hard-linked rather than installed again (npm ci would take minutes). The workspace links
 * in node_modules/@review are relative, so they point into the clone.
 */
function cloneInto(dir: string) {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const f of files) {
    const from = path.join(repoRoot, f);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, f));
  }
  for (const ws of ["", ...fs.readdirSync(repoRoot)]) {
    const nm = path.join(repoRoot, ws, "node_modules");
    if (!fs.existsSync(nm) || !fs.statSync(path.join(repoRoot, ws)).isDirectory()) continue;
    const r = spawnSync("cp", ["-al", nm, path.join(dir, ws, "node_modules")]);
    if (r.status !== 0) throw new Error(`cp -al ${nm}: ${r.stderr.toString()}`);
  }
}

describe("npm start from a clone in a root-owned 0700 home", () => {
  it.skipIf(!asRoot)("starts, serves /health and REST, and leaves the home's mode alone", async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "faults-home-"));
    fs.chmodSync(home, 0o700);
    const app = path.join(home, "app");
    cloneInto(app);

    const api = await freePort();
    running = startMain({
      cwd: app,
      // The default data directory (.data inside the clone) is the point; nothing from this run's env.
      env: { LOCAL_SUPABASE_DATA_DIR: undefined, LOCAL_SUPABASE_API_PORT: String(api), LOCAL_SUPABASE_DB_PORT: String(await freePort()) },
    });
    await waitUp(running, 120_000);

    const health = await fetch(`http://127.0.0.1:${api}/health`);
    expect(health.status).toBe(200);
    const info = JSON.parse(fs.readFileSync(path.join(app, ".data", "local-supabase.json"), "utf8")) as StackInfo;
    const { data, error } = await serviceClient(info).from("organizations").select("slug").eq("slug", "acme");
    expect(error).toBeNull();
    expect(data).toEqual([{ slug: "acme" }]);
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);

    process.kill(-running.pid, "SIGINT");
    expect((await running.exited).code).toBe(0);
  }, 180_000);
});
