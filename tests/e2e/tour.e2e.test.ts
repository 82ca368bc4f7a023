import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Locator, Page } from "playwright-core";
import { can, type Capability, type Role } from "@review/shared/domain/capabilities";
import { DEMO, demoUser, getStack, launchBrowser, sql, webUrl, type SignInUser } from "./support.ts";
import { waitFor } from "../helpers/stack.ts";

/**
 * A newcomer's tour of the seeded demo: every role signs in and clicks through every route of
 * web/src/app/router.tsx, list pages to the first seeded entity's page, and pages the role may not use
 * typed in by hand. Every page must settle (no "Loading…" forever) on its heading and real content, or
 * on a clear refusal, with no page error, console error, 5xx, or a 4xx the page did not turn into a
 * refusal. The Globex admin then types Acme's URLs and must see refusals and no Acme data at all.
 * Problems are collected per page and asserted together, so one run lists every defect.
 */

const GLOBEX_ADMIN: SignInUser = { id: "b0000000-0000-4000-8000-000000000001", email: "admin@globex.example.com", password: DEMO.password };
const ACME_CASE = "cccccccc-0000-4000-8000-000000000001";
const ACME_QUEUE = "aaaaaaaa-0000-4000-8000-0000000000d9";
const ACME_PROMPT = "aaaaaaaa-0000-4000-8000-0000000000b1";
const ACME_VERSION = "aaaaaaaa-0000-4000-8000-0000000000c2";

/** What only Acme holds: names people read, and ids (the seed's Acme prefixes and Acme's users). */
const ACME_MARKERS = [
  "Acme Support", "agent at Acme", "Ada Admin", "Carmen Curator", "Ravi Reviewer", "Mona Manager",
  "Low-rated answers — double review", "Support answers (approved)", "Low ratings (inbox)", "Suggest-answer v2 vs v3",
  DEMO.org.id, "a0000000-0000-4000-8000-00000000000", "aaaaaaaa-0000-4000-8000-", "cccccccc-0000-4000-8000-",
];

type Problems = string[];
type Watch = {
  page: Page;
  errors: string[];
  responses: Array<{ url: string; status: number; method: string }>;
  bodies: Array<Promise<{ url: string; body: string }>>;
  frames: string[];
};

/** The SPA's nav, as router.tsx guards it: which capability a page needs (none: every member). */
const PAGES: Array<{ path: string; nav: string; permission?: Capability; ready: (p: Page) => Locator; acme?: (p: Page) => Locator }> = [
  { path: "inbox", nav: "Inbox", ready: (p) => p.getByTestId("inbox-count"), acme: (p) => p.locator("[data-feedback-id]").first() },
  { path: "review-queues", nav: "Review queues", ready: (p) => h1(p, "Review queues"), acme: (p) => main(p).getByText("Low-rated answers — double review").first() },
  { path: "training", nav: "Training data", ready: (p) => h1(p, "Training data"), acme: (p) => main(p).getByText(/#204318/).first() },
  { path: "prompts", nav: "Prompts", ready: (p) => h1(p, "Prompts"), acme: (p) => main(p).getByRole("link", { name: "judge-pairwise" }) },
  { path: "datasets", nav: "Datasets", permission: "org:read", ready: (p) => h1(p, "Datasets"), acme: (p) => main(p).getByRole("link", { name: "Support answers (approved)" }) },
  { path: "experiments", nav: "Experiments", permission: "org:read", ready: (p) => h1(p, "Experiments"), acme: (p) => main(p).getByRole("link", { name: /Suggest-answer v2 vs v3/ }) },
  { path: "online-eval", nav: "Online eval", permission: "org:read", ready: (p) => h1(p, "Online evaluation"), acme: (p) => main(p).getByText("concise").first() },
  { path: "jobs", nav: "Jobs & models", permission: "org:read", ready: (p) => h1(p, "Jobs"), acme: (p) => main(p).getByRole("link", { name: /Suggest-answer v2 vs v3/ }) },
  { path: "boards", nav: "Boards", permission: "usage:read", ready: (p) => h1(p, "Boards") },
  { path: "themes", nav: "Themes", ready: (p) => h1(p, "Themes") },
  { path: "alerts", nav: "Alerts", permission: "alert:read", ready: (p) => h1(p, "Alerts") },
  { path: "admin", nav: "Admin", permission: "member:manage", ready: (p) => h1(p, /Admin/), acme: (p) => main(p).getByText("Carmen Curator").first() },
  { path: "audit", nav: "Audit log", permission: "audit:read", ready: (p) => h1(p, "Audit log") },
];

const main = (p: Page) => p.locator("main");
const h1 = (p: Page, name: string | RegExp) => p.getByRole("heading", { level: 1, name });
const REFUSAL = /does not include|No access|does not exist|not available|not found|not allowed|may not/i;

/**
 * What a realtime frame tells the client that it did not send itself: replies and system messages echo
 * the topic and filter the client asked for (Acme ids it typed), and presence echoes its own state.
 */
function realtimeData(frame: string, self: string): string {
  let msg: unknown;
  try {
    msg = JSON.parse(frame);
  } catch {
    return frame;
  }
  if (!Array.isArray(msg)) return frame;
  const [, , , event, payload] = msg as [unknown, unknown, string, string, Record<string, unknown>];
  if (event === "phx_reply" || event === "system" || event === "phx_close") return "";
  if (event === "presence_state") return JSON.stringify(Object.entries(payload ?? {}).filter(([k]) => k !== self));
  if (event === "presence_diff") {
    const others = (side: unknown) => Object.entries((side ?? {}) as Record<string, unknown>).filter(([k]) => k !== self);
    return JSON.stringify([others(payload?.joins), others(payload?.leaves)]);
  }
  return frame;
}

let browser: Browser;
const visited: string[] = [];
beforeAll(async () => {
  browser = await launchBrowser();
  // The newcomer's demo once `npm start`'s first runs are done (fine-tune, experiment, themes, judge):
  // every page then has the same content on every run.
  const db = sql(await getStack());
  const t0 = Date.now();
  await waitFor(async () => (await db`select count(*)::int as n from public.jobs where status in ('pending', 'running')`)[0]!.n === 0, { timeout: 150_000, interval: 500, message: "the seeded jobs finished" });
  if (process.env.TOUR_TRACE) console.log(`seeded jobs done after ${Date.now() - t0} ms`);
}, 180_000);
afterAll(async () => {
  if (process.env.TOUR_TRACE) console.log(visited.join("\n"));
  await browser?.close();
});

async function signIn(name: string, user: SignInUser): Promise<Watch> {
  const { apiUrl } = await getStack();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const w: Watch = { page, errors: [], responses: [], bodies: [], frames: [] };
  page.on("pageerror", (e) => w.errors.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // A failed request logs itself too; its status is judged from the response below.
    if (m.type() === "error" && !/^Failed to load resource: the server responded with a status of/.test(m.text())) w.errors.push(`console error: ${m.text()}`);
  });
  page.on("requestfailed", (r) => {
    const why = r.failure()?.errorText ?? "";
    if (!/ERR_ABORTED/.test(why)) w.errors.push(`request failed: ${r.method()} ${r.url()} ${why}`);
  });
  page.on("response", (r) => {
    w.responses.push({ url: r.url(), status: r.status(), method: r.request().method() });
    if (r.url().startsWith(apiUrl) && r.request().method() !== "OPTIONS") {
      // A body that never ends (a stream) must not hold the check up: it is read for as long as the page is.
      const body = r.text().then((b) => b, () => "");
      const cut = new Promise<string>((resolve) => setTimeout(() => resolve(""), 5_000));
      w.bodies.push(Promise.race([body, cut]).then((b) => ({ url: r.url(), body: b })));
    }
  });
  page.on("websocket", (ws) => ws.on("framereceived", (f) => w.frames.push(typeof f.payload === "string" ? f.payload : f.payload.toString("utf8"))));
  await page.goto(`${webUrl()}/sign-in`);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/o\/[^/]+\//);
  void name;
  return w;
}

/** The page has stopped loading: no splash, no "Loading…" leaf, no skeleton list in the content. */
async function settled(page: Page, timeout = 15_000): Promise<boolean> {
  return page
    .waitForFunction(() => {
      if (document.querySelector(".splash")) return false;
      const root = document.querySelector("main") ?? document.body;
      if (root.querySelector(".skeleton-list, .skeleton-row")) return false;
      for (const el of root.querySelectorAll("*")) {
        if (el.childElementCount === 0 && /^Loading\b/i.test(el.textContent?.trim() ?? "")) return false;
      }
      return true;
    }, undefined, { timeout, polling: 100 })
    .then(() => true, () => false);
}

const snippet = async (page: Page) => ((await (await page.$("main"))?.innerText().catch(() => "")) ?? (await page.innerText("body"))).replace(/\s+/g, " ").slice(0, 240);

/**
 * Judges what the page shows after an action: `expect` is "page" (its heading and, for Acme, its
 * seeded content) or "refusal" (a clear sentence; 4xx the page turned into it are fine).
 */
async function judge(w: Watch, problems: Problems, label: string, act: () => Promise<unknown>, expectation: { page?: (p: Page) => Locator; content?: (p: Page) => Locator; refusal?: boolean }) {
  const { page } = w;
  const errorsFrom = w.errors.length;
  const responsesFrom = w.responses.length;
  const log = (what: string) => { if (process.env.TOUR_TRACE) console.error(new Date().toISOString(), label, what); };
  log("act");
  try {
    await act();
  } catch (err) {
    problems.push(`${label}: could not get there: ${(err as Error).message.split("\n")[0]}`);
    return;
  }
  const where = `${label} (${page.url().replace(webUrl(), "")})`;
  visited.push(where);
  if (expectation.refusal) {
    const refusal = page.locator(".empty").filter({ hasText: REFUSAL }).first();
    const shown = await refusal.waitFor({ timeout: 15_000 }).then(() => true, () => false);
    if (!shown) problems.push(`${where}: no clear refusal; shows: ${await snippet(page)}`);
  } else if (expectation.page) {
    const shown = await expectation.page(page).first().waitFor({ timeout: 15_000 }).then(() => true, () => false);
    if (!shown) problems.push(`${where}: heading never shown; shows: ${await snippet(page)}`);
  }
  log("shown");
  if (!(await settled(page))) problems.push(`${where}: still loading after 15 s; shows: ${await snippet(page)}`);
  if (expectation.content) {
    const shown = await expectation.content(page).waitFor({ timeout: 10_000 }).then(() => true, () => false);
    if (!shown) problems.push(`${where}: seeded content missing; shows: ${await snippet(page)}`);
  }
  log("settled");
  const raw = page.locator(".empty-error, .toast-error");
  if (await raw.count()) problems.push(`${where}: shows an error: ${(await raw.first().innerText()).replace(/\s+/g, " ")}`);
  for (const e of w.errors.slice(errorsFrom)) problems.push(`${where}: ${e}`);
  for (const r of w.responses.slice(responsesFrom)) {
    if (r.status >= 500) problems.push(`${where}: HTTP ${r.status} ${r.method} ${r.url}`);
    else if (r.status >= 400 && !expectation.refusal) problems.push(`${where}: unexpected HTTP ${r.status} ${r.method} ${r.url}`);
  }
}

/** In the app, as a person does it: the nav link, or the first link of a list. */
async function clickTo(page: Page, link: Locator, url: RegExp) {
  await link.first().click();
  await page.waitForURL(url);
}

async function tour(name: string, user: SignInUser, role: Role, slug: string): Promise<Problems> {
  const problems: Problems = [];
  const w = await signIn(name, user);
  const { page } = w;
  const base = `${webUrl()}/o/${slug}`;
  const acme = slug === DEMO.org.slug;
  // Each tab of a detail page, as a newcomer clicks through them.
  const everyTab = async (label: string) => {
    const tabs = main(page).getByRole("tab");
    const names = (await tabs.allInnerTexts()).map((t) => t.trim());
    for (const [i, tab] of names.entries()) {
      await judge(w, problems, `${label}, tab "${tab}"`, () => tabs.nth(i).click(), { page: (pg) => main(pg).getByRole("tabpanel") });
    }
  };

  // The nav offers exactly the pages the role may use.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link").first().waitFor();
  const offered = (await page.getByRole("navigation", { name: "Main" }).getByRole("link").allInnerTexts()).map((t) => t.trim());
  const allowed = PAGES.filter((p) => !p.permission || can(role, p.permission)).map((p) => p.nav);
  if (offered.join("|") !== allowed.join("|")) problems.push(`${name}: nav offers [${offered.join(", ")}], capabilities allow [${allowed.join(", ")}]`);

  await judge(w, problems, `${name} /`, () => page.goto(`${webUrl()}/`), { page: (p) => p.getByTestId("inbox-count") });
  await judge(w, problems, `${name} new organization`, () => page.goto(`${webUrl()}/new-organization`), { page: (p) => h1(p, "New organization") });
  await page.goto(`${base}/inbox`);

  for (const p of PAGES) {
    const label = `${name} ${p.path}`;
    if (p.permission && !can(role, p.permission)) {
      await judge(w, problems, label, () => page.goto(`${base}/${p.path}`), { refusal: true });
      continue;
    }
    const nav = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: p.nav, exact: true });
    await judge(w, problems, label, () => clickTo(page, nav, new RegExp(`/o/${slug}/${p.path}$`)), { page: p.ready, content: acme ? p.acme : undefined });

    // The first seeded entity of each list, by its first link.
    const detail = async (what: string, href: string, ready: (pg: Page) => Locator) => {
      const link = main(page).locator(`a[href*="/o/${slug}/${href}/"]`);
      if (!(await link.count())) {
        if (acme) problems.push(`${label}: no ${what} to open`);
        return;
      }
      await judge(w, problems, `${name} a ${what}`, () => clickTo(page, link, new RegExp(`/o/${slug}/${href}/[^/]+$`)), { page: ready });
      await everyTab(`${name} a ${what}`);
    };
    if (p.path === "inbox") {
      const row = page.locator("[data-feedback-id]").first();
      if (await row.count()) {
        await judge(w, problems, `${name} a feedback item`, async () => { await row.click(); await page.waitForURL(/\/inbox\/[^/?]+/); }, { page: (pg) => pg.getByTestId("feedback-panel") });
      } else if (acme) problems.push(`${label}: no feedback to open`);
    }
    if (p.path === "review-queues") await detail("review queue", "review-queues", (pg) => pg.getByRole("heading", { level: 1 }));
    if (p.path === "jobs") await detail("job", "jobs", (pg) => pg.getByTestId("job-detail").getByRole("heading", { level: 1 }));
    if (p.path === "datasets") await detail("dataset", "datasets", (pg) => pg.getByRole("heading", { level: 1 }));
    if (p.path === "experiments") await detail("experiment", "experiments", (pg) => pg.getByRole("heading", { level: 1 }));
    if (p.path === "prompts") {
      const first = main(page).locator(`a[href*="/o/${slug}/prompts/"]`);
      await judge(w, problems, `${name} a prompt`, () => clickTo(page, first, /\/prompts\/[^/]+$/), { page: (pg) => pg.getByRole("heading", { level: 1 }) });
      const promptUrl = page.url();
      const version = main(page).locator('a[href*="/versions/"]');
      await judge(w, problems, `${name} a prompt version`, () => clickTo(page, version, /\/versions\/[^/]+$/), { page: (pg) => h1(pg, /^Version \d+/) });
      await everyTab(`${name} a prompt version`);
      if (can(role, "prompt:edit")) {
        await page.goto(promptUrl);
        await judge(w, problems, `${name} the optimizer`, () => clickTo(page, main(page).getByRole("link", { name: "Optimizer" }), /\/optimize$/), { page: (pg) => h1(pg, "Optimize this prompt") });
      } else {
        await judge(w, problems, `${name} the optimizer`, () => page.goto(`${promptUrl}/optimize`), { refusal: true });
      }
    }
  }

  if (acme) {
    // A case room, from its feedback item in the inbox.
    const [c] = await sql(await getStack())`select feedback_id from public.improvement_cases where id = ${ACME_CASE}`;
    await page.goto(`${base}/inbox/${c!.feedback_id}`);
    await judge(w, problems, `${name} a case room`, () => clickTo(page, page.getByRole("link", { name: "Open case room" }), /\/cases\/[^/]+$/), { page: (pg) => pg.locator("h1.case-title") });
    await everyTab(`${name} a case room`);
  }
  await page.context().close();
  return problems;
}

describe("a newcomer's tour of the seeded demo", () => {
  const roles: Role[] = ["admin", "curator", "reviewer", "manager"];
  for (const role of roles) {
    it(`Acme's ${role} visits every page`, async () => {
      const problems = await tour(`acme ${role}`, demoUser(role), role, DEMO.org.slug);
      expect(problems).toEqual([]);
    }, 150_000);
  }

  it("Globex's admin visits every page of Globex", async () => {
    const problems = await tour("globex admin", GLOBEX_ADMIN, "admin", DEMO.otherOrg.slug);
    expect(problems).toEqual([]);
  }, 150_000);

  it("Globex's admin typing Acme's URLs is refused and sees no Acme data", async () => {
    const db = sql(await getStack());
    const [ids] = await db`
      select (select feedback_id from public.improvement_cases where id = ${ACME_CASE}) as feedback,
             (select id from public.datasets where org_id = ${DEMO.org.id} and name = 'Support answers (approved)') as dataset,
             (select id from public.experiments where org_id = ${DEMO.org.id} order by created_at limit 1) as experiment,
             (select id from public.jobs where org_id = ${DEMO.org.id} order by created_at limit 1) as job`;
    const problems: Problems = [];
    const w = await signIn("globex admin", GLOBEX_ADMIN);
    const { page } = w;
    const acmeIds = Object.values(ids!).map(String);
    const paths = (slug: string) => [
      `/o/${slug}/inbox/${ids!.feedback}`,
      `/o/${slug}/cases/${ACME_CASE}`,
      `/o/${slug}/review-queues/${ACME_QUEUE}`,
      `/o/${slug}/prompts/${ACME_PROMPT}`,
      `/o/${slug}/prompts/${ACME_PROMPT}/versions/${ACME_VERSION}`,
      `/o/${slug}/datasets/${ids!.dataset}`,
      `/o/${slug}/experiments/${ids!.experiment}`,
      `/o/${slug}/jobs/${ids!.job}`,
    ];
    // Acme's own slug: not a member. Globex's slug with Acme's ids: nothing of Acme's exists there.
    // And ids that are no ids at all (a mangled link): the same not-found page, not a database error.
    const mangled = ["inbox", "cases", "review-queues", "prompts", "datasets", "experiments", "jobs"].map((p) => `/o/${DEMO.otherOrg.slug}/${p}/not-an-id`)
      .concat(`/o/${DEMO.otherOrg.slug}/prompts/bbbbbbbb-0000-4000-8000-0000000000b1/versions/not-an-id`);
    for (const path of [`/o/${DEMO.org.slug}`, `/o/${DEMO.org.slug}/training`, ...paths(DEMO.org.slug), ...paths(DEMO.otherOrg.slug), ...mangled]) {
      await judge(w, problems, `globex admin at ${path}`, () => page.goto(`${webUrl()}${path}`), { refusal: true });
      const dom = await page.innerText("body");
      for (const m of [...ACME_MARKERS, ...acmeIds]) if (dom.includes(m)) problems.push(`globex admin at ${path}: the page shows Acme's "${m}"`);
    }
    const bodies = await Promise.all(w.bodies);
    for (const { url, body } of bodies) {
      for (const m of [...ACME_MARKERS, ...acmeIds]) if (body.includes(m)) problems.push(`a response holds Acme's "${m}": ${url} → ${body.slice(Math.max(0, body.indexOf(m) - 80), body.indexOf(m) + 80)}`);
    }
    for (const f of w.frames) {
      const data = realtimeData(f, GLOBEX_ADMIN.id);
      for (const m of [...ACME_MARKERS, ...acmeIds]) if (data.includes(m)) problems.push(`a realtime frame holds Acme's "${m}": ${f.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
  }, 150_000);
});
