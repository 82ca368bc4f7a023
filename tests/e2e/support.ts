import { afterAll, beforeAll } from "vitest";
import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { StackInfo } from "@review/local-supabase";
import type postgres from "postgres";
import { createUser, getStack, sql, waitFor, type TestUser } from "../helpers/stack.ts";
import { createOrg, type TestOrg } from "../helpers/org.ts";

export { createOrg, getStack, sql, createUser };
export type { TestOrg, TestUser };

export function webUrl(): string {
  return (JSON.parse(fs.readFileSync(process.env.E2E_FILE!, "utf8")) as { webUrl: string }).webUrl;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"],
  });
}

/** Who signs in through the UI: a test's own user, or one of the seeded demo users. */
export type SignInUser = Pick<TestUser, "id" | "email" | "password">;
export type Actor = { name: string; user: SignInUser; context: BrowserContext; page: Page };

/**
 * The seeded demo (supabase/seed.sql), as a newcomer meets it after `npm start`: scenarios that start
 * from it catch what tests building their own data cannot (a seed that the product cannot use).
 */
export const DEMO = {
  org: { id: "aaaaaaaa-0000-4000-8000-000000000001", slug: "acme" },
  otherOrg: { id: "bbbbbbbb-0000-4000-8000-000000000001", slug: "globex" },
  password: "review-demo-1",
} as const;
export function demoUser(role: "admin" | "curator" | "reviewer" | "manager"): SignInUser {
  const n = { admin: 1, curator: 2, reviewer: 3, manager: 4 }[role];
  return { id: `a0000000-0000-4000-8000-00000000000${n}`, email: `${role}@acme.example.com`, password: DEMO.password };
}

/** apiUrl: the Supabase URL this window uses instead of the stack's own (a proxy in front of it, say). */
export type OpenOptions = { apiUrl?: string };

/** A named person in their own browser window (separate context: own storage, own session), signed in through the UI. */
export async function openAs(browser: Browser, name: string, user: SignInUser, path = "/", options: OpenOptions = {}): Promise<Actor> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  if (options.apiUrl) {
    // The SPA takes its API URL from /runtime-config.js (web/dev-server.ts); this window gets another one.
    const { anonKey } = await getStack();
    const body = `window.__REVIEW_ENV__ = ${JSON.stringify({ supabaseUrl: options.apiUrl, supabaseAnonKey: anonKey })};\n`;
    await context.route("**/runtime-config.js", (route) => route.fulfill({ contentType: "text/javascript", body }));
  }
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`[${name}] page error:`, err.message));
  await page.goto(`${webUrl()}/sign-in`);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/o\/[^/]+\//);
  if (path !== "/") await page.goto(`${webUrl()}${path}`);
  return { name, user, context, page };
}

/**
 * The browser of one test file: launched before its tests, closed after them with every window it
 * opened. `open` signs a named person in, in a window of their own.
 */
export function useBrowser() {
  let browser: Browser | undefined;
  const actors: Actor[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const a of actors) await a.context.close().catch(() => undefined);
    await browser?.close();
  });
  return {
    async open(name: string, user: SignInUser, path = "/", options: OpenOptions = {}): Promise<Actor> {
      if (!browser) throw new Error("useBrowser().open called outside a test");
      const actor = await openAs(browser, name, user, path, options);
      actors.push(actor);
      return actor;
    },
  };
}

/** A second member with the given role in an existing org (e.g. two reviewers). */
export async function addMember(stack: StackInfo, org: TestOrg, label: string, role: "admin" | "curator" | "reviewer" | "manager"): Promise<TestUser> {
  const user = await createUser(stack, label);
  await sql(stack)`insert into public.memberships (org_id, user_id, role) values (${org.id}, ${user.id}, ${role})`;
  return user;
}

/** What teammates see as this user's name (the profile trigger uses the email's local part). */
export function displayName(user: TestUser): string {
  return user.email.split("@")[0]!;
}

export async function insertFeedback(stack: StackInfo, orgId: string, rows: Array<{ query: string; rating?: number; response?: string; labels?: string[] }>): Promise<string[]> {
  const out: string[] = [];
  for (const r of rows) {
    const [row] = await sql(stack)`
      insert into public.feedback (org_id, rating, query, response, labels)
      values (${orgId}, ${r.rating ?? 1}, ${r.query}, ${r.response ?? "Sorry, we cannot help with that."}, ${r.labels ?? []})
      returning id`;
    out.push(row!.id as string);
  }
  return out;
}

export const unique = (s: string) => `${s} ${randomUUID().slice(0, 6)}`;

/** The text an editor holds (CodeMirror lines), without peers' cursor widgets. */
export const editorText = (page: Page) =>
  page.getByTestId("answer-editor").evaluate((el) => {
    const clone = el.cloneNode(true) as HTMLElement;
    clone.querySelectorAll(".cm-ySelectionCaret, .cm-widgetBuffer").forEach((w) => w.remove());
    return [...clone.querySelectorAll(".cm-line")].map((l) => l.textContent ?? "").join("\n");
  });

/** The seeded demo's experiment (supabase/seed.sql: Acme's, which the worker runs at start). */
export const SEEDED_EXPERIMENT = "Suggest-answer v2 vs v3 × fast vs strong";

/** The seeded experiment's row once the worker has finished it, and its variants' labels. */
export async function seededExperiment(db: postgres.Sql): Promise<{ id: string; dataset_version_id: string; variants: Array<{ label: string }>; labels: string[] }> {
  const e = await waitFor(async () => {
    const [row] = await db`select id, status::text, dataset_version_id, variants from public.experiments where org_id = ${DEMO.org.id} and name = ${SEEDED_EXPERIMENT}`;
    return row && row.status === "completed" ? row : null;
  }, { timeout: 180_000, message: "the seeded experiment finished" });
  const variants = e.variants as Array<{ label: string }>;
  return { id: e.id as string, dataset_version_id: e.dataset_version_id as string, variants, labels: variants.map((v) => v.label) };
}
