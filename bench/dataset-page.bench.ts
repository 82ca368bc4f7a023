/**
 * The dataset page at the size imports allow (10,000 items) against a small one (100), side by side in
 * one run: how long a published version takes to show, and in a co-edited draft how long a peer's
 * keystroke takes to show in a watching browser, and how much main-thread time that browser spends on
 * it (long tasks).
 *
 * Runs its own stack in .data/bench-dataset-page. `npx tsx bench/dataset-page.bench.ts`
 * BENCH_ROUNDS (default 3) rounds, each measuring both sizes; medians are reported.
 */
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import ws from "ws";
import { createClient } from "@supabase/supabase-js";
import { chromium, type Browser, type Page } from "playwright-core";
import { createLogger, freePort, startStack } from "@review/local-supabase";
import { startWebServer } from "../web/dev-server.ts";

const SIZES = [100, Number(process.env.BENCH_ITEMS ?? 10_000)];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEYS = Number(process.env.BENCH_KEYS ?? 15);
const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.join(root, ".data", "bench-dataset-page");
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

fs.rmSync(dataDir, { recursive: true, force: true });
fs.mkdirSync(dataDir, { recursive: true });
const stack = await startStack({ dataDir, apiPort: 0, dbPort: await freePort(), log: createLogger("bench-dataset-page", "warn") });
const sql = postgres(stack.dbUrl, { onnotice: () => {}, max: 4 });
const web = await startWebServer({ apiUrl: stack.apiUrl, anonKey: stack.anonKey, port: await freePort(), strictPort: true, mode: "preview", rebuild: process.env.BENCH_WEB_REBUILD !== "0" });
const browser: Browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"] });

try {
  const service = createClient(stack.apiUrl, stack.serviceRoleKey, { auth: { persistSession: false }, realtime: { transport: ws as never } });
  const mkUser = async (label: string) => {
    const email = `${label}-${randomUUID().slice(0, 8)}@bench.example.com`;
    const password = `pw-${randomUUID()}`;
    const { data, error } = await service.auth.admin.createUser({ email, password, email_confirm: true });
    if (error) throw error;
    return { id: data.user!.id, email, password };
  };
  const [a, b] = [await mkUser("bench-a"), await mkUser("bench-b")];
  const slug = `bench-${randomUUID().slice(0, 8)}`;
  const [org] = await sql<{ id: string }[]>`insert into public.organizations (name, slug, created_by) values ('Bench', ${slug}, ${a.id}) returning id`;
  await sql`insert into public.memberships (org_id, user_id, role) values (${org!.id}, ${b.id}, 'curator') on conflict do nothing`;
  const asA = createClient(stack.apiUrl, stack.anonKey, { auth: { persistSession: false }, realtime: { transport: ws as never } });
  const signedIn = await asA.auth.signInWithPassword({ email: a.email, password: a.password });
  if (signedIn.error) throw signedIn.error;

  // Per size: a published v1 and a draft v2 copied from it (the draft page also diffs against v1).
  const datasets: Record<number, { id: string; v1: string; v2: string }> = {};
  for (const n of SIZES) {
    const items = Array.from({ length: n }, (_, i) => ({
      query: `Question ${i + 1}: how do refunds, invoices and shipping times work for order ${1000 + i}?`,
      expected: `Answer ${i + 1}: refunds take 5–10 business days; invoices are under Settings → Billing; shipping takes 2–4 days.`,
    }));
    const imported = await asA.rpc("import_dataset_items", { p_org_id: org!.id, p_name: `bench-${n}`, p_items: items });
    if (imported.error) throw imported.error;
    const published = await asA.rpc("publish_dataset_version", { p_version_id: imported.data.id });
    if (published.error) throw published.error;
    const draft = await asA.rpc("new_dataset_draft", { p_dataset_id: imported.data.dataset_id });
    if (draft.error) throw draft.error;
    datasets[n] = { id: imported.data.dataset_id, v1: imported.data.id, v2: draft.data.id };
  }

  const open = async (u: { email: string; password: string }) => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await ctx.addInitScript("window.__name = (f) => f");
    const page = await ctx.newPage();
    await page.goto(`${web.url}/sign-in`);
    await page.getByLabel("Email").fill(u.email);
    await page.getByLabel("Password").fill(u.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => !url.pathname.includes("sign-in"));
    return { ctx, page };
  };
  const longTasks = (page: Page) =>
    page.evaluate(() => {
      const w = window as unknown as { __long: number[]; __obs?: PerformanceObserver };
      w.__long = [];
      w.__obs?.disconnect();
      w.__obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__long.push(e.duration);
      });
      w.__obs.observe({ type: "longtask", buffered: false });
    });
  const readLong = (page: Page) => page.evaluate(() => (window as unknown as { __long: number[] }).__long);

  type Round = { size: number; publishedShowMs: number; draftShowMs: number; keyToPeerMs: number[]; peerLongTaskMs: number; peerLongTasks: number };
  const rounds: Round[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of SIZES) {
      const d = datasets[n]!;
      const A = await open(a);
      // Published: from navigation to the first row shown.
      const t0 = Date.now();
      await A.page.goto(`${web.url}/o/${slug}/datasets/${d.id}?version=${d.v1}`);
      await A.page.getByTestId("dataset-item").first().waitFor({ timeout: 120_000 });
      const publishedShowMs = Date.now() - t0;

      // The draft, watched by A while B types in item 1's expected answer.
      const t1 = Date.now();
      await A.page.goto(`${web.url}/o/${slug}/datasets/${d.id}?version=${d.v2}`);
      await A.page.getByTestId("dataset-item").first().waitFor({ timeout: 120_000 });
      const draftShowMs = Date.now() - t1;
      const B = await open(b);
      await B.page.goto(`${web.url}/o/${slug}/datasets/${d.id}?version=${d.v2}`);
      await B.page.getByRole("button", { name: "Edit expected answer 1", exact: true }).click({ timeout: 120_000 });
      await B.page.getByTestId("answer-editor").click();
      await B.page.keyboard.press("Control+End");
      await A.page.getByTestId("dataset-item").first().getByTestId("field-presence").waitFor({ timeout: 30_000 });
      await longTasks(A.page);
      const keyToPeerMs: number[] = [];
      for (let k = 0; k < KEYS; k++) {
        const mark = `#${round}${k}`;
        const sent = Date.now();
        await B.page.keyboard.type(` ${mark}`);
        await A.page.waitForFunction(
          (mark) => document.querySelector("[data-testid=dataset-item] [data-testid=item-expected] [data-testid=field-text]")?.textContent?.includes(mark) ?? false,
          mark,
          { timeout: 30_000 },
        );
        keyToPeerMs.push(Date.now() - sent);
      }
      const long = await readLong(A.page);
      rounds.push({ size: n, publishedShowMs, draftShowMs, keyToPeerMs, peerLongTaskMs: Math.round(long.reduce((s, x) => s + x, 0)), peerLongTasks: long.length });
      await A.ctx.close();
      await B.ctx.close();
    }
  }

  const bySize = Object.fromEntries(SIZES.map((n) => {
    const rs = rounds.filter((r) => r.size === n);
    const keys = rs.flatMap((r) => r.keyToPeerMs);
    return [n, {
      publishedShowMs: median(rs.map((r) => r.publishedShowMs)),
      draftShowMs: median(rs.map((r) => r.draftShowMs)),
      keyToPeerMs: { p50: quantile(keys, 0.5), p95: quantile(keys, 0.95) },
      peerLongTaskMsPerKey: median(rs.map((r) => r.peerLongTaskMs / KEYS)),
    }];
  }));
  const [small, large] = SIZES as [number, number];
  const s = bySize[small]!;
  const l = bySize[large]!;
  console.log(JSON.stringify({
    date: new Date().toISOString(),
    rounds: ROUNDS,
    keysPerRound: KEYS,
    bySize,
    ratios: {
      publishedShow: +(l.publishedShowMs / s.publishedShowMs).toFixed(2),
      draftShow: +(l.draftShowMs / s.draftShowMs).toFixed(2),
      keyToPeerP50: +(l.keyToPeerMs.p50 / s.keyToPeerMs.p50).toFixed(2),
    },
  }, null, 2));
} finally {
  await browser.close();
  await web.close();
  await sql.end();
  await stack.stop();
}
