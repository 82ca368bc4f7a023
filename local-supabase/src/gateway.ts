import http from "node:http";
import type { Duplex } from "node:stream";
import type postgres from "postgres";
import type { AuthGateway } from "./auth/index.ts";
import { loadFunctionConfigs } from "./functions/config.ts";
import { FunctionRunner } from "./functions/runner.ts";
import { HttpError, readBody, sendFetchResponse, sendJson, sendWholeResponse, toFetchRequest } from "./http-util.ts";
import { verifyJwt, type ApiKeys } from "./keys.ts";
import type { Logger } from "./log.ts";
import { handOffCredentials, handOffTaken, type LiteApp } from "./rest.ts";
import type { ResolvedKey } from "@supabase/lite";
import { postgrestStatus } from "./rest/errors.ts";
import { transactionEnd, type LiteApiConfig } from "./rest/db-config.ts";
import { mayUpdateOrDelete, refuseUnfilteredWrite } from "./rest/safe-update.ts";
import type { Caller, FastRest, RequestParts } from "./rest/fast/index.ts";
import { isConnectionError, type DatabaseStatus } from "./db-status.ts";
import type { ChildRegistry } from "./processes.ts";

export type Mount = {
  /** Returns true when it handled the request. */
  handleHttp(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<boolean>;
  handleUpgrade?(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
};

export type GatewayDeps = {
  app: LiteApp;
  sql: postgres.Sql;
  keys: ApiKeys;
  root: string;
  functionEnv: Record<string, string>;
  log: Logger;
  realtime?: Mount & { handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void };
  llm?: Mount;
  versions: Record<string, string>;
  fastRest?: FastRest;
  /** /auth/v1: GoTrue's API around lite's Auth (auth/index.ts). */
  auth: AuthGateway;
  /** Whether Postgres answers; while it does not, REST and Auth answer 503 at once (db-status.ts). */
  database?: DatabaseStatus;
  /** Where Edge Function processes are recorded (processes.ts). */
  children?: ChildRegistry;
};

// CORS for the REST/Auth gateway as Supabase's Kong cors plugin sends it: every answer names the allowed
// origin and the headers a browser may read (content-range carries the count); what may be sent, and for
// how long that holds, only a preflight needs.
const corsHeaders = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "content-range, content-location, x-total-count, location, retry-after",
};
const preflightHeaders = {
  ...corsHeaders,
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type, prefer, range, accept-profile, content-profile, x-supabase-api-version, x-region",
  "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
  "access-control-max-age": "3600",
};

const corsPairs = Object.entries(corsHeaders).flat();

export function createGateway(deps: GatewayDeps) {
  const { app, keys, log } = deps;
  // lite's api config, with the live in-database settings (rest/db-config.ts).
  const api = (app.config as { api: LiteApiConfig & { schemas?: string[] } }).api;
  const origin = "http://127.0.0.1";
  const runner = new FunctionRunner(deps.root, deps.functionEnv, log.child("functions"), deps.children);
  const database = deps.database;
  let functions = loadFunctionConfigs(deps.root);

  const server = http.createServer(async (req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? "/", origin);
    try {
      const body = await readBody(req);
      const p = url.pathname;
      if (p === "/health" || p === "/") {
        if (database && !database.available) return sendJson(res, 503, { status: "unavailable", database: "down", reason: database.downReason, versions: deps.versions });
        return sendJson(res, 200, { status: "ok", database: "up", versions: deps.versions });
      }
      if (p.startsWith("/functions/v1/")) return await serveFunction(req, res, url, body);
      if (p.startsWith("/realtime/v1/") && deps.realtime) {
        if (await deps.realtime.handleHttp(req, res, body)) return;
      }
      if (p.startsWith("/llm/v1/") && deps.llm) {
        if (await deps.llm.handleHttp(req, res, body)) return;
      }
      if (p.startsWith("/auth/v1/") || p.startsWith("/rest/v1/")) {
        if (req.method === "OPTIONS") {
          res.writeHead(204, preflightHeaders);
          return void res.end();
        }
        if (database && !database.available) return unavailable(res, p, "PGRST000", database.downReason);
        if (p.startsWith("/auth/v1/")) {
          const answer = await deps.auth.handle(req, url, body, origin);
          if (answer.status >= 500 && database && !(await database.check())) return unavailable(res, p, "PGRST000", database.downReason);
          return await sendWholeResponse(res, answer, corsHeaders);
        }
        // lite answers a path that is not valid percent-encoding with a 500 (URIError); PostgREST, a 404.
        if (p.includes("%") && !decodable(p)) {
          return sendJson(res, 404, { code: "PGRST125", details: null, hint: null, message: "Invalid path specified in request URL" }, corsHeaders);
        }
        const caller = await restCaller(req, url, keys.jwtSecret);
        if ("refusal" in caller) {
          const { refusal } = caller;
          return sendJson(res, 401, refusal, { ...corsHeaders, "www-authenticate": `Bearer error="invalid_token", error_description="${refusal.message}"` });
        }
        if (mayUpdateOrDelete(req.method)) {
          const profile = req.headers["content-profile"];
          const unfiltered = await refuseUnfilteredWrite(deps.sql, req.method, url, (Array.isArray(profile) ? profile[0] : profile) ?? api.schemas?.[0] ?? "public");
          if (unfiltered) return sendJson(res, unfiltered.status, unfiltered.body, corsHeaders);
        }
        // The fast path serves the public schema and commits; a project whose default schema is another, or
        // whose `pgrst.db_tx_end` rolls writes back, has lite answer.
        const fastCaller = caller.key && deps.fastRest && fastPathApplies(req.method, api) ? asFastCaller(caller.key, req.headers["user-agent"]) : null;
        if (fastCaller) {
          const answer = await deps.fastRest!.serve(restParts(req, url, body), fastCaller);
          if (answer) {
            // Raw header pairs with the length given: Node's fastest way out (no per-header checks).
            const raw = ["content-length", String(Buffer.byteLength(answer.body))];
            for (const k in answer.headers) raw.push(k, answer.headers[k]!);
            res.writeHead(answer.status, raw.concat(corsPairs));
            return void res.end(answer.body);
          }
        }
        const request = toFetchRequest(req, body, origin, caller.key ? ["authorization"] : []);
        if (caller.key) handOffCredentials(request, caller.key);
        let response = await app.fetch(request, { peerAddress: req.socket.remoteAddress ?? null } as never);
        if (!handOffTaken(request)) {
          log.error(`${req.method} ${url.pathname}: lite did not take the caller's verified claims; answer withheld`);
          return sendJson(res, 500, { code: "internal_error", message: "The REST engine did not apply the caller's credentials" }, corsHeaders);
        }
        if (response.status >= 500 && database) {
          // lite answers a connection it lost with a 500 whose message is the client's error: PostgREST's
          // PGRST001, whether or not Postgres is back by now (it may have restarted under the request).
          let answeredByDatabase = false;
          if (p.startsWith("/rest/v1/")) {
            const text = await response.text();
            const lost = CONNECTION_LOST.exec(text);
            if (lost) {
              void database.check();
              return unavailable(res, p, "PGRST001", lost[0]);
            }
            // An error Postgres itself reported (a SQLSTATE, or lite's "PostgresError: …") means it is up.
            answeredByDatabase = /"code":"[0-9A-Z]{5}"|"message":"PostgresError: /.test(text);
            response = new Response(text, { status: response.status, headers: response.headers });
          }
          // Otherwise (and on /auth/v1, whose 500 says only server_error) the database is asked directly.
          if (!answeredByDatabase && !(await database.check())) return unavailable(res, p, "PGRST000", database.downReason);
        }
        if (response.status >= 500) response = await remapDatabaseError(response, Boolean(req.headers.authorization));
        response = withTransactionPreference(response, api, [req.headers.prefer ?? []].flat().join(", "));
        return await sendWholeResponse(res, response, corsHeaders);
      }
      sendJson(res, 404, { message: "no Route matched with those values" });
    } catch (err) {
      if (err instanceof HttpError) return sendJson(res, err.status, { code: err.code, message: err.message });
      if (res.headersSent) {
        log.error(`${req.method} ${url.pathname} failed mid-answer`, err);
        return void res.destroy();
      }
      // A database client error (Postgres down or restarting) is a 503 in the API's own shape, never a crash.
      if (isConnectionError(err) && database && !(await database.check())) {
        log.debug(`${req.method} ${url.pathname}: database unavailable (${(err as Error).message})`);
        return unavailable(res, url.pathname, "PGRST001", (err as Error).message);
      }
      log.error(`${req.method} ${url.pathname} failed`, err);
      sendJson(res, 500, { code: "internal_error", message: "The gateway could not handle this request" });
    } finally {
      log.debug(`${req.method} ${url.pathname} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
    }
  });

  server.on("upgrade", (req, socket, head) => {
    const p = new URL(req.url ?? "/", origin).pathname;
    if (p.startsWith("/realtime/v1/") && deps.realtime) return deps.realtime.handleUpgrade(req, socket, head);
    socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
  });

  async function serveFunction(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer) {
    const [, , , name, ...rest] = url.pathname.split("/");
    let fn = name ? functions.get(name) : undefined;
    if (!fn && name) {
      functions = loadFunctionConfigs(deps.root); // a function folder added while running
      fn = functions.get(name);
    }
    if (!fn) return sendJson(res, 404, { code: "NOT_FOUND", message: "Requested function was not found" });
    // Preflight reaches the function (it answers CORS itself, as on Supabase); JWT checks do not apply to it.
    if (fn.verifyJwt && req.method !== "OPTIONS") {
      const auth = req.headers.authorization;
      if (!auth) return sendJson(res, 401, { code: 401, message: "Missing authorization header" });
      const token = auth.replace(/^Bearer\s+/i, "");
      const v = await verifyJwt(token, keys.jwtSecret);
      if (!v.ok) return sendJson(res, 401, { code: 401, message: v.reason === "expired" ? "JWT expired" : "Invalid JWT" });
    }
    let port: number;
    try {
      port = await runner.portFor(fn);
    } catch (err) {
      log.error(`function ${fn.name} failed to boot`, err);
      return sendJson(res, 503, { code: "BOOT_ERROR", message: `Function ${fn.name} failed to start: ${(err as Error).message}` });
    }
    const target = new URL(`/${fn.name}${rest.length ? "/" + rest.join("/") : ""}${url.search}`, `http://127.0.0.1:${port}`);
    const headers = toHeaders(req);
    headers.delete("host");
    headers.delete("connection");
    headers.delete("content-length");
    const controller = new AbortController();
    res.on("close", () => controller.abort());
    try {
      const upstream = await fetch(target, {
        method: req.method,
        headers,
        body: req.method === "GET" || req.method === "HEAD" || body.length === 0 ? undefined : new Uint8Array(body),
        signal: controller.signal,
        redirect: "manual",
      });
      await sendFetchResponse(res, upstream);
    } catch (err) {
      if (controller.signal.aborted) return;
      log.error(`function ${fn.name} did not answer`, err);
      sendJson(res, 502, { code: "FUNCTION_UNREACHABLE", message: `Function ${fn.name} did not answer` });
    }
  }

  // Idle keep-alive connections stay open a minute, as behind Supabase's gateway (Kong's nginx
  // keepalive_timeout is 60 s). Node's default of 5 s closes them while clients (undici's fetch, which
  // keeps them 4 s, less on a busy event loop) may be about to reuse them: the request then fails with
  // "fetch failed" (other side closed) instead of reaching the server.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;

  return {
    server,
    runner,
    listen(port: number, host: string): Promise<number> {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve((server.address() as { port: number }).port));
      });
    },
    async close() {
      await runner.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * 503 while the database cannot be reached, in the shape of the API asked: PostgREST's connection errors
 * for /rest/v1 (PGRST000 when it cannot connect, PGRST001 when a connection failed mid-request, with
 * its messages), GoTrue's error shape for /auth/v1, and a plain one elsewhere. Edge Functions are not
 * answered here: each answers for itself, as it does on Supabase.
 */
function unavailable(res: http.ServerResponse, p: string, code: "PGRST000" | "PGRST001", details: string | null) {
  if (p.startsWith("/rest/v1/")) {
    const message = code === "PGRST000" ? "Database connection error. Retrying the connection." : "Database client error. Retrying the connection.";
    return sendJson(res, 503, { code, details: details ?? "", hint: null, message }, corsHeaders);
  }
  if (p.startsWith("/auth/v1/")) {
    return sendJson(res, 503, { code: 503, error_code: "unexpected_failure", msg: "Database connection error. Retrying the connection." }, corsHeaders);
  }
  return sendJson(res, 503, { code: "database_unavailable", message: "The database is not reachable; retrying the connection." });
}

/** What the database clients (postgres.js, pg) say when a connection fails or drops, as lite passes it on. */
const CONNECTION_LOST =
  /(?:connect|write|read) (?:ECONNREFUSED|ECONNRESET|ENOENT|EPIPE|CONNECTION_CLOSED|CONNECTION_ENDED|CONNECTION_DESTROYED)[^"]*|CONNECTION_(?:CLOSED|ENDED|DESTROYED)|Connection terminated[^"]*|terminating connection due to [^"]*|the database system is (?:starting up|shutting down|in recovery mode)/;

/**
 * Gives database errors PostgREST's status and code. lite reports errors it does not classify
 * (a check violation, for one) as 500 "SUP" with the text `PostgresError: <message>`; PostgREST
 * answers those with the SQLSTATE and a 4xx. Postgres's messages are stable, so the code is recovered from them.
 */
async function remapDatabaseError(response: Response, hasBearer: boolean): Promise<Response> {
  const text = await response.text();
  let status = response.status;
  let body: { code?: unknown; message?: unknown } | null = null;
  try {
    body = JSON.parse(text) as { code?: unknown; message?: unknown };
  } catch {
    return new Response(text, { status, headers: response.headers });
  }
  if (body.code === "SUP" && typeof body.message === "string" && body.message.startsWith("PostgresError: ")) {
    const message = body.message.slice("PostgresError: ".length);
    const recovered = knownMessages.find(([re]) => re.test(message))?.[1];
    body = { ...body, message, ...(recovered ? { code: recovered } : {}) };
  }
  if (typeof body.code === "string") status = postgrestStatus(body.code, hasBearer) ?? status;
  return new Response(JSON.stringify(body), { status, headers: response.headers });
}

const knownMessages: Array<[RegExp, string]> = [
  [/violates check constraint/, "23514"],
  [/violates exclusion constraint/, "23P01"],
  [/violates not-null constraint/, "23502"],
  [/violates foreign key constraint/, "23503"],
  [/duplicate key value violates unique constraint/, "23505"],
  [/^canceling statement due to statement timeout$/, "57014"],
];

function fastPathApplies(method: string | undefined, api: LiteApiConfig & { schemas?: string[] }): boolean {
  if ((api.schemas?.[0] ?? "public") !== "public") return false;
  return method === "GET" || !transactionEnd(api.db_tx_end, null).rollback;
}

/**
 * PostgREST names `tx=commit|rollback` in Preference-Applied only when `pgrst.db_tx_end` lets the client
 * choose, and then as it chose; lite echoed any `Prefer: tx=` it was sent.
 */
function withTransactionPreference(response: Response, api: LiteApiConfig, prefer: string | undefined): Response {
  const applied = response.headers.get("preference-applied");
  const tx = transactionEnd(api.db_tx_end, prefer).applied;
  if (!applied?.includes("tx=") && !tx) return response;
  const others = (applied ?? "").split(",").map((p) => p.trim()).filter((p) => p && !p.startsWith("tx="));
  const headers = new Headers(response.headers);
  const value = [...others, ...(tx ? [tx] : [])].join(", ");
  if (value) headers.set("preference-applied", value);
  else headers.delete("preference-applied");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function decodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

const FAST_ROLES = new Set(["anon", "authenticated", "service_role"]);

// lite refuses a secret (service) key sent from a browser; those requests go to lite to be refused.
const BROWSER = /^\s*Mozilla\s*\/\s*5\s*\.\s*0/i;

/** The verified caller, for the roles the fast path serves (lite handles any other). */
function asFastCaller(key: ResolvedKey, userAgent: string | undefined): Caller | null {
  if (key.type === "secret" && userAgent && BROWSER.test(userAgent)) return null;
  const claims = key.claims as Record<string, unknown> | undefined;
  const role = claims?.role;
  if (!claims || typeof role !== "string" || !FAST_ROLES.has(role)) return null;
  return { role: role as Caller["role"], claims };
}

function restParts(req: http.IncomingMessage, url: URL, body: Buffer): RequestParts {
  return {
    method: req.method ?? "GET",
    path: url.pathname.slice("/rest/v1".length),
    search: url.search.slice(1),
    // Parsed only when the read cache has no plan for this target.
    get query() {
      return url.searchParams;
    },
    header: (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(", ") : v;
    },
    body,
  };
}

function toHeaders(req: http.IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    h.set(k, Array.isArray(v) ? v.join(", ") : v);
  }
  return h;
}

type Refusal = { code: string; details: string | null; hint: null; message: string };

/**
 * Who a REST request runs as. PostgREST refuses a bad bearer token with 401 (PGRST301/PGRST303)
 * instead of falling back to anon; checked here so the behaviour holds whatever the embedded REST
 * engine does with it. With a valid API key (anon or service_role, as Kong requires), the verified
 * claims are handed to lite (`key`); without one, lite answers with its own 401.
 */
async function restCaller(req: http.IncomingMessage, url: URL, secret: string): Promise<{ refusal: Refusal } | { key: ResolvedKey | null }> {
  let bearer: Awaited<ReturnType<typeof verifyJwt>> | null = null;
  const authorization = req.headers.authorization;
  if (authorization) {
    const m = authorization.match(/^Bearer\s+(.+)$/i);
    if (!m) return { refusal: { code: "PGRST301", details: null, hint: null, message: "Authorization header is not a Bearer token" } };
    bearer = await verifyJwt(m[1]!.trim(), secret);
    if (!bearer.ok) {
      return bearer.reason === "expired"
        ? { refusal: { code: "PGRST303", details: null, hint: null, message: "JWT expired" } }
        : { refusal: { code: "PGRST301", details: "None of the keys was able to decode the JWT", hint: null, message: "No suitable key or wrong key type" } };
    }
  }
  const header = req.headers.apikey;
  const apikey = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get("apikey");
  if (!apikey) return { key: null };
  const key = await verifyJwt(apikey, secret);
  if (!key.ok || (key.claims.role !== "anon" && key.claims.role !== "service_role")) return { key: null };
  return { key: { type: key.claims.role === "service_role" ? "secret" : "publishable", claims: bearer?.ok ? bearer.claims : key.claims } };
}
