import type { StoredMessage } from "./catcher.ts";

/** The catcher's two pages: the inbox, and one message with its links ready to click. */

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Plain text with its http(s) links made clickable; everything else escaped. */
function linkify(text: string): string {
  let out = "";
  let last = 0;
  for (const m of text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
    out += escape(text.slice(last, m.index));
    out += `<a href="${escape(m[0])}">${escape(m[0])}</a>`;
    last = m.index + m[0].length;
  }
  return out + escape(text.slice(last));
}

const style = `
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1c1c1c; background: #f6f7f9; }
  header { background: #1c1c1c; color: #fff; padding: 12px 24px; display: flex; gap: 16px; align-items: center; }
  header a { color: #fff; text-decoration: none; font-weight: 600; }
  main { max-width: 960px; margin: 24px auto; padding: 0 16px; }
  table { width: 100%; border-collapse: collapse; background: #fff; }
  th, td { text-align: left; padding: 8px 12px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
  tr.unread td { font-weight: 600; }
  td a { color: inherit; }
  .muted { color: #687076; font-size: 13px; }
  pre { white-space: pre-wrap; word-break: break-all; background: #fff; padding: 16px; border: 1px solid #e4e7eb; }
  iframe { width: 100%; height: 520px; border: 1px solid #e4e7eb; background: #fff; }
  form { margin: 0 0 16px; } input { padding: 6px 8px; width: 320px; }
`;

function frame(title: string, body: string, refresh = false): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
${refresh ? '<meta http-equiv="refresh" content="5">' : ""}<style>${style}</style></head>
<body><header><a href="/">Mail catcher</a><span class="muted">every email the local Auth sends; the API is at /api/v1/messages</span></header>
<main>${body}</main></body></html>`;
}

export function listPage(messages: StoredMessage[], query: string): string {
  const rows = messages
    .map(
      (m) => `<tr class="${m.Read ? "" : "unread"}"><td>${escape(m.To.map((a) => a.Address).join(", "))}</td>
<td><a href="/view/${m.ID}">${escape(m.Subject || "(no subject)")}</a></td><td class="muted">${escape(new Date(m.Created).toLocaleString())}</td></tr>`,
    )
    .join("\n");
  return frame(
    "Mail catcher",
    `<form><input name="q" value="${escape(query)}" placeholder="Search, e.g. to:you@example.com" aria-label="Search"></form>
<table aria-label="Messages"><thead><tr><th>To</th><th>Subject</th><th>Received</th></tr></thead><tbody>
${rows || '<tr><td colspan="3" class="muted">No messages yet. Sign up in the app and the confirmation email appears here.</td></tr>'}
</tbody></table>`,
    true,
  );
}

export function messagePage(m: StoredMessage): string {
  // The HTML part runs in a sandbox without scripts; its links open in a new tab.
  const html = m.HTML ? `<h2>HTML</h2><iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${escape(`<base target="_blank">${m.HTML}`)}" title="HTML part"></iframe>` : "";
  return frame(
    m.Subject,
    `<h1>${escape(m.Subject || "(no subject)")}</h1>
<p class="muted">From ${escape(m.From.Name)} &lt;${escape(m.From.Address)}&gt; to ${escape(m.To.map((a) => a.Address).join(", "))}, ${escape(new Date(m.Created).toLocaleString())}</p>
<h2>Text</h2><pre>${linkify(m.Text)}</pre>${html}`,
  );
}
