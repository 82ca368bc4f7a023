import http from "node:http";
import { randomBytes } from "node:crypto";
import type { Logger } from "../log.ts";
import { listPage, messagePage } from "./page.ts";

/**
 * The local mail catcher, what `supabase start` runs as Mailpit on port 54324: every email Auth sends
 * lands here instead of a mailbox, shown on a web page and served through Mailpit's REST API
 * (GET /api/v1/messages, GET /api/v1/message/{ID}, GET /api/v1/search?query=to:…, DELETE
 * /api/v1/messages), so tests and scripts written against Mailpit read it unchanged.
 *
 * Auth hands messages over in process (lite renders each email and calls its email driver, which
 * delivers here); what the app sends itself arrives over SMTP (smtp.ts). Messages live in memory, the newest 500, like a
 * Mailpit without a database file: a restart empties the box.
 */

export type Address = { Name: string; Address: string };

export type StoredMessage = {
  ID: string;
  MessageID: string;
  Read: boolean;
  From: Address;
  To: Address[];
  Subject: string;
  Created: string;
  Text: string;
  HTML: string;
  Size: number;
};

export type IncomingMessage = { to: string; subject: string; text?: string; html?: string; from?: string };

const KEEP = 500;
/** Hosted Supabase's built-in mailer sends as this; lite's driver interface carries no sender. */
const SENDER: Address = { Name: "Supabase Auth", Address: "noreply@mail.app.supabase.io" };

export class MailStore {
  private messages: StoredMessage[] = [];

  deliver(m: IncomingMessage): StoredMessage {
    const id = randomBytes(16).toString("base64url");
    const text = m.text ?? "";
    const html = m.html ?? "";
    const stored: StoredMessage = {
      ID: id,
      MessageID: `${id}@local-supabase`,
      Read: false,
      From: m.from ? { Name: "", Address: m.from } : SENDER,
      To: m.to.split(",").map((a) => ({ Name: "", Address: a.trim() })),
      Subject: m.subject,
      Created: new Date().toISOString(),
      Text: text,
      HTML: html,
      Size: Buffer.byteLength(text) + Buffer.byteLength(html) + Buffer.byteLength(m.subject),
    };
    this.messages.unshift(stored);
    if (this.messages.length > KEEP) this.messages.length = KEEP;
    return stored;
  }

  /** Newest first, as Mailpit lists them. */
  list(query?: string): StoredMessage[] {
    if (!query?.trim()) return this.messages;
    const match = compileSearch(query);
    return this.messages.filter(match);
  }

  get(id: string): StoredMessage | undefined {
    return id === "latest" ? this.messages[0] : this.messages.find((m) => m.ID === id);
  }

  delete(ids?: string[]): void {
    if (!ids) this.messages = [];
    else this.messages = this.messages.filter((m) => !ids.includes(m.ID));
  }
}

/**
 * Mailpit's search, the part tests and people use: space-separated terms, all of which must match;
 * `to:`, `from:` and `subject:` look in that field, `is:read`/`is:unread` at the flag, a bare term
 * anywhere; quotes keep spaces in a term; case does not matter.
 */
export function compileSearch(query: string): (m: StoredMessage) => boolean {
  const terms = [...query.matchAll(/(\w+:)?"([^"]*)"|(\S+)/g)].map((t) => (t[3] ?? `${t[1] ?? ""}${t[2]}`).toLowerCase());
  const tests = terms.map((term): ((m: StoredMessage) => boolean) => {
    const [, field, value = ""] = /^(to|from|subject|is):(.*)$/.exec(term) ?? [null, null, term];
    const has = (s: string) => s.toLowerCase().includes(value);
    switch (field) {
      case "to":
        return (m) => m.To.some((a) => has(a.Address) || has(a.Name));
      case "from":
        return (m) => has(m.From.Address) || has(m.From.Name);
      case "subject":
        return (m) => has(m.Subject);
      case "is":
        return (m) => (value === "read" ? m.Read : value === "unread" ? !m.Read : true);
      default:
        return (m) => has(m.Subject) || has(m.Text) || m.To.some((a) => has(a.Address)) || has(m.From.Address);
    }
  });
  return (m) => tests.every((t) => t(m));
}

function summary(m: StoredMessage) {
  return {
    ID: m.ID,
    MessageID: m.MessageID,
    Read: m.Read,
    From: m.From,
    To: m.To,
    Cc: [],
    Bcc: [],
    ReplyTo: [],
    Subject: m.Subject,
    Created: m.Created,
    Username: "",
    Tags: [],
    Size: m.Size,
    Attachments: 0,
    Snippet: m.Text.replace(/\s+/g, " ").trim().slice(0, 250),
  };
}

function full(m: StoredMessage) {
  return {
    ID: m.ID,
    MessageID: m.MessageID,
    From: m.From,
    To: m.To,
    Cc: [],
    Bcc: [],
    ReplyTo: [],
    ReturnPath: m.From.Address,
    Subject: m.Subject,
    ListUnsubscribe: { Header: "", Links: [], Errors: "", HeaderPost: "" },
    Date: m.Created,
    Tags: [],
    Username: "",
    Text: m.Text,
    HTML: m.HTML,
    Size: m.Size,
    Inline: [],
    Attachments: [],
  };
}

/** Mailpit's list answer for one page of `all` (newest first). */
function page(all: StoredMessage[], total: StoredMessage[], params: URLSearchParams) {
  const start = Math.max(0, Number(params.get("start") ?? 0) || 0);
  const limit = Math.max(1, Number(params.get("limit") ?? 50) || 50);
  const slice = all.slice(start, start + limit);
  return {
    total: total.length,
    unread: total.filter((m) => !m.Read).length,
    count: slice.length,
    messages_count: all.length,
    messages_unread: all.filter((m) => !m.Read).length,
    start,
    tags: [],
    messages: slice.map(summary),
  };
}

export type MailCatcher = { store: MailStore; url: string; close(): Promise<void> };

export async function startMailCatcher(opts: { host: string; port: number; log: Logger }): Promise<MailCatcher> {
  const store = new MailStore();
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err) => {
      opts.log.error(`${req.method} ${req.url} failed`, err);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal error");
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", "http://mail");
    const p = url.pathname;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "access-control-allow-origin": "*" });
      res.end(JSON.stringify(body));
    };
    const text = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type, "access-control-allow-origin": "*" });
      res.end(body);
    };
    const method = req.method ?? "GET";

    if (method === "GET" && p === "/") return text(200, listPage(store.list(url.searchParams.get("q") ?? ""), url.searchParams.get("q") ?? ""), "text/html; charset=utf-8");
    const view = /^\/view\/([\w-]+)$/.exec(p);
    if (method === "GET" && view) {
      const m = store.get(view[1]!);
      if (!m) return text(404, "message not found");
      m.Read = true;
      return text(200, messagePage(m), "text/html; charset=utf-8");
    }
    if (p === "/api/v1/messages") {
      if (method === "GET") return json(200, page(store.list(), store.list(), url.searchParams));
      if (method === "DELETE") {
        const body = await readJson(req);
        const ids = Array.isArray((body as { IDs?: unknown })?.IDs) ? ((body as { IDs: unknown[] }).IDs.map(String)) : undefined;
        store.delete(ids?.length ? ids : undefined);
        return text(200, "ok");
      }
    }
    if (p === "/api/v1/search") {
      const query = url.searchParams.get("query") ?? "";
      if (method === "GET") return json(200, page(store.list(query), store.list(), url.searchParams));
      if (method === "DELETE") {
        if (!query.trim()) return text(400, "no search query");
        store.delete(store.list(query).map((m) => m.ID));
        return text(200, "ok");
      }
    }
    const one = /^\/api\/v1\/message\/([\w-]+)$/.exec(p);
    if (method === "GET" && one) {
      const m = store.get(one[1]!);
      if (!m) return text(404, "message not found");
      m.Read = true;
      return json(200, full(m));
    }
    text(404, "not found");
  }

  await new Promise<void>((resolve, reject) => {
    const refuse = (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new Error(`The mail catcher's port ${opts.port} is in use: change [inbucket] port in supabase/config.toml, or set enabled = false there`, { cause: err }) : err);
    server.once("error", refuse);
    server.listen(opts.port, opts.host, () => {
      server.off("error", refuse);
      resolve();
    });
  });
  // A listening server's later errors (a client resetting) are not the stack's to die of.
  server.on("error", (err) => opts.log.error("mail catcher", err));
  const { port } = server.address() as { port: number };
  return {
    store,
    url: `http://${opts.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1024 * 1024) return null;
    chunks.push(c as Buffer);
  }
  try {
    return chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : null;
  } catch {
    return null;
  }
}
