import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../log.ts";
import { FunctionRunner } from "./runner.ts";
import { loadFunctionConfigs } from "./config.ts";

// A scratch project with functions that misbehave, so the runner's guarantees are tested on their own.
const root = fs.mkdtempSync(path.join(os.tmpdir(), "fn-runner-"));
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
};
write("edge-functions/deno.json", "{}");
write("supabase/config.toml", `[functions.open]\nverify_jwt = false\n`);
write("edge-functions/throws/index.ts", `Deno.serve(() => { throw new Error("kaboom"); });`);
write("edge-functions/exits/index.ts", `throw new Error("broken at import");`);
write("edge-functions/open/index.ts", `Deno.serve((req) => new Response(JSON.stringify({ n: Number(new URL(req.url).searchParams.get("n")) * 2 }), { headers: { "content-type": "application/json" } }));`);
write("edge-functions/_shared/util.ts", `export const x = 1;`);

const runner = new FunctionRunner(root, { PATH: process.env.PATH ?? "" }, createLogger("runner-test", "error", true));
afterAll(async () => {
  await runner.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe("function runner", () => {
  const configs = loadFunctionConfigs(root);

  it("reads verify_jwt from config.toml, defaults it to true, and skips _shared", () => {
    expect(configs.get("open")?.verifyJwt).toBe(false);
    expect(configs.get("throws")?.verifyJwt).toBe(true);
    expect(configs.has("_shared")).toBe(false);
  });

  it("serves a function under Deno", async () => {
    const port = await runner.portFor(configs.get("open")!);
    const r = await fetch(`http://127.0.0.1:${port}/open?n=21`);
    expect(await r.json()).toEqual({ n: 42 });
  });

  it("turns a throwing handler into a 500 with a JSON error and keeps serving", async () => {
    const port = await runner.portFor(configs.get("throws")!);
    const r = await fetch(`http://127.0.0.1:${port}/throws`);
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ error: { code: "function_error", message: "kaboom" } });
    const again = await fetch(`http://127.0.0.1:${port}/throws`);
    expect(again.status).toBe(500);
  });

  it("reports a function that dies while loading instead of hanging", async () => {
    await expect(runner.portFor(configs.get("exits")!)).rejects.toThrow(/exited/);
  });
});
