import net from "node:net";
import type { Logger } from "../log.ts";
import type { MailStore } from "./catcher.ts";

/**
 * The mail catcher's SMTP side, as Mailpit listens on `[inbucket] smtp_port` with `supabase start`: what
 * the app itself sends (the worker's alert emails through nodemailer) lands in the same box as Auth's
 * emails. Enough of RFC 5321 for a local client: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no auth,
 * no TLS, loopback only. Bodies: text/plain, quoted-printable or base64, and the text part of a multipart.
 */
export async function startSmtpCatcher(opts: { host: string; port: number; store: MailStore; log: Logger }): Promise<{ port: number; url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setEncoding("utf8");
    let buffer = "";
    let inData = false;
    let data: string[] = [];
    let from = "";
    let to: string[] = [];
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply("220 local-supabase mail catcher ESMTP");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      if (buffer.length > 10 * 1024 * 1024) {
        reply("552 message too large");
        socket.destroy();
        return;
      }
      let i: number;
      while ((i = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            try {
              const m = parseMessage(data.join("\r\n"));
              opts.store.deliver({ to: (m.to || to.join(", ")), subject: m.subject, text: m.text, html: m.html, from: m.from || from });
              reply("250 OK: queued");
            } catch (err) {
              opts.log.warn(`could not read a message sent over SMTP: ${String(err)}`);
              reply("554 could not parse the message");
            }
            data = [];
          } else data.push(line.startsWith("..") ? line.slice(1) : line);
          continue;
        }
        const [verb = "", ...rest] = line.split(" ");
        const arg = rest.join(" ");
        switch (verb.toUpperCase()) {
          case "EHLO":
            socket.write("250-local-supabase\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n");
            break;
          case "HELO":
            reply("250 local-supabase");
            break;
          case "MAIL":
            from = /<([^>]*)>/.exec(arg)?.[1] ?? "";
            to = [];
            reply("250 OK");
            break;
          case "RCPT":
            to.push(/<([^>]*)>/.exec(arg)?.[1] ?? "");
            reply("250 OK");
            break;
          case "DATA":
            if (!to.length) reply("503 RCPT first");
            else {
              inData = true;
              reply("354 End data with <CR><LF>.<CR><LF>");
            }
            break;
          case "RSET":
            from = "";
            to = [];
            reply("250 OK");
            break;
          case "NOOP":
            reply("250 OK");
            break;
          case "QUIT":
            reply("221 Bye");
            socket.end();
            break;
          default:
            reply("502 Command not implemented");
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => opts.log.error("smtp catcher", err));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    url: `smtp://${opts.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

type Part = { headers: Map<string, string>; body: string };

function splitPart(raw: string): Part {
  const sep = raw.indexOf("\r\n\r\n");
  const head = sep < 0 ? raw : raw.slice(0, sep);
  const body = sep < 0 ? "" : raw.slice(sep + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const c = line.indexOf(":");
    if (c > 0) headers.set(line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim());
  }
  return { headers, body };
}

function decodeBody(part: Part): string {
  const enc = (part.headers.get("content-transfer-encoding") ?? "7bit").toLowerCase();
  if (enc === "base64") return Buffer.from(part.body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (enc === "quoted-printable") {
    const bytes = part.body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return part.body;
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / =?UTF-8?B?…?=) in a header. */
export function decodeHeader(value: string): string {
  return value.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=\s*/g, (_, _charset: string, kind: string, text: string) =>
    kind.toUpperCase() === "B"
      ? Buffer.from(text, "base64").toString("utf8")
      : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8"),
  );
}

export function parseMessage(raw: string): { from: string; to: string; subject: string; text: string; html: string } {
  const top = splitPart(raw);
  const addresses = (h: string | undefined) => (h ? [...decodeHeader(h).matchAll(/<([^>]+)>|([^\s,<>]+@[^\s,<>]+)/g)].map((m) => m[1] ?? m[2]).join(", ") : "");
  let text = "";
  let html = "";
  const visit = (p: Part) => {
    const type = (p.headers.get("content-type") ?? "text/plain").toLowerCase();
    const boundary = /boundary="?([^";]+)"?/i.exec(p.headers.get("content-type") ?? "")?.[1];
    if (type.startsWith("multipart/") && boundary) {
      for (const chunk of p.body.split(`--${boundary}`).slice(1)) {
        if (chunk.startsWith("--")) break;
        visit(splitPart(chunk.replace(/^\r\n/, "")));
      }
    } else if (type.startsWith("text/html")) html ||= decodeBody(p);
    else if (type.startsWith("text/")) text ||= decodeBody(p).replace(/\r\n$/, "");
  };
  visit(top);
  return { from: addresses(top.headers.get("from")), to: addresses(top.headers.get("to")), subject: decodeHeader(top.headers.get("subject") ?? ""), text, html };
}
