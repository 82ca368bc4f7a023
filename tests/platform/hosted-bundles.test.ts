import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundlePlan, configProblems, deployedFunctions, installedVersions, resolveBundle, walkImportPaths } from "../../dev/bundles.ts";

// `npm run check:bundles` (a step of .ci/run) resolves the real functions against the npm registry. These
// tests prove the check catches what only a deploy would reveal, on a scratch project with no npm packages.
const root = fs.mkdtempSync(path.join(os.tmpdir(), "bundles-"));
const denoDir = path.join(root, ".deno");
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
};
const declare = (name: string) => `[functions.${name}]\nentrypoint = "../edge-functions/${name}/index.ts"\nimport_map = "../edge-functions/${name}/deno.json"\n`;
write("supabase/config.toml", ["bare", "split", "fine", "outside"].map(declare).join("\n") + `\n[functions.nomap]\nentrypoint = "../edge-functions/nomap/index.ts"\n`);
write("edge-functions/_shared/helper.ts", `export default 1;\nexport const named = 2;\n`);
write("edge-functions/_shared/types.ts", `export type T = { a: number };\n`);
// Resolves locally, where node_modules answers any bare import, but its deno.json does not map it.
write("edge-functions/bare/index.ts", `import { z } from "zod";\nDeno.serve(() => new Response(String(z)));\n`);
write("edge-functions/bare/deno.json", `{ "imports": {} }\n`);
// Deno reads this import fine; the CLI's regex does not, so the file is not uploaded.
write("edge-functions/split/index.ts", `import helper, {\n  named,\n} from "../_shared/helper.ts";\nDeno.serve(() => new Response(String(helper + named)));\n`);
write("edge-functions/split/deno.json", `{ "imports": {} }\n`);
write("edge-functions/fine/index.ts", `import helper, { named } from "../_shared/helper.ts";\nimport type { T } from "../_shared/types.ts";\nconst t: T = { a: helper + named };\nDeno.serve(() => new Response(String(t.a)));\n`);
write("edge-functions/fine/deno.json", `{ "imports": {} }\n`);
write("edge-functions/outside/index.ts", `import x from "../../../elsewhere/x.ts";\nDeno.serve(() => new Response(String(x)));\n`);
write("edge-functions/outside/deno.json", `{ "imports": {} }\n`);
write("edge-functions/nomap/index.ts", `Deno.serve(() => new Response("ok"));\n`);
write("edge-functions/undeclared/index.ts", `Deno.serve(() => new Response("ok"));\n`);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("functions bundle as supabase functions deploy bundles them", () => {
  it("refuses a bare import that the function's own deno.json does not map", async () => {
    const r = await resolveBundle(root, bundlePlan(root, "bare"), { lock: "frozen", denoDir });
    expect(r.errors.join("\n")).toMatch(/"zod" not a dependency and not in import map/);
  });

  it("refuses a file that exists but that the CLI's walk would not upload", async () => {
    const plan = bundlePlan(root, "split");
    expect(plan.files).toEqual(["edge-functions/split/index.ts"]);
    const r = await resolveBundle(root, plan, { lock: "frozen", denoDir });
    expect(r.errors.join("\n")).toMatch(/Module not found "edge-functions\/_shared\/helper\.ts"/);
  });

  it("uploads and resolves what the walk reaches, type-only imports included", async () => {
    const plan = bundlePlan(root, "fine");
    expect(plan.files.sort()).toEqual(["edge-functions/_shared/helper.ts", "edge-functions/_shared/types.ts", "edge-functions/fine/index.ts"]);
    const r = await resolveBundle(root, plan, { lock: "frozen", denoDir });
    expect(r.errors).toEqual([]);
  });

  it("refuses an import from outside the project, which the CLI cannot read", () => {
    expect(bundlePlan(root, "outside").unreadable).toEqual([{ file: "../elsewhere/x.ts", reason: "outside the project directory, which the CLI cannot upload" }]);
  });

  it("refuses a function config.toml does not declare, and one declared without its import map", () => {
    const problems = configProblems(root).join("\n");
    expect(problems).toMatch(/edge-functions\/undeclared is served locally but config.toml has no \[functions.undeclared\]/);
    expect(problems).toMatch(/\[functions.nomap\] import_map must be "..\/edge-functions\/nomap\/deno.json"/);
  });

  it("follows the CLI's walk: export-from, dynamic imports, import-map substitution; skips URLs and extensionless specifiers", () => {
    const files: Record<string, string> = {
      "a/index.ts": `export * from "./b.ts";\nconst d = await import("./d.ts");\nimport x from "https://example.com/x.ts";\nimport y from "lib/y.ts";\nimport z from "./noext";\n`,
      "a/b.ts": `export { c } from "../c/c.ts";\n`,
      "c/c.ts": "export const c = 1;\n",
      "a/d.ts": "export default 1;\n",
      "vendor/y.ts": "export default 1;\n",
    };
    const walked = walkImportPaths("a/index.ts", [["lib/", "./vendor/"]], (f) => files[f]);
    expect(walked.sort()).toEqual(["a/b.ts", "a/d.ts", "a/index.ts", "c/c.ts", "vendor/y.ts"]);
  });
});

describe("this project's functions", () => {
  const project = path.resolve(import.meta.dirname, "..", "..");

  it("are all declared in config.toml with the deno.json beside each entrypoint", () => {
    expect(configProblems(project)).toEqual([]);
    expect(deployedFunctions(project).length).toBeGreaterThan(0);
  });

  it("pin every npm package at the exact version npm installed, so the deployed bundle runs what runs locally", () => {
    const versions = installedVersions(project);
    for (const name of deployedFunctions(project)) {
      const { imports } = JSON.parse(fs.readFileSync(path.join(project, "edge-functions", name, "deno.json"), "utf8")) as { imports: Record<string, string> };
      for (const [key, value] of Object.entries(imports)) {
        const pkg = key.replace(/\/$/, "");
        expect(value, `${name}: ${key}`).toBe(key.endsWith("/") ? `npm:/${pkg}@${versions.get(pkg)}/` : `npm:${pkg}@${versions.get(pkg)}`);
      }
    }
  });
});
