/**
 * The dependency rules of ARCHITECTURE.md, checked on the source: each runtime imports only what its row
 * allows, and what the web app takes from shared/ is browser-safe all the way down (no Node built-ins, no
 * server SDKs), which is what lets shared/ be one package for every runtime.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(rel));
    else if (/\.(ts|tsx)$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) out.push(rel);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), "utf8");
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

/** The repository folder an import lands in ("" for a package). */
function target(file: string, spec: string): string {
  if (spec.startsWith("@review/shared")) return "shared";
  if (spec.startsWith("@review/local-supabase")) return "local-supabase";
  if (!spec.startsWith(".")) return "";
  return path.relative(root, path.resolve(root, path.dirname(file), spec)).split(path.sep)[0]!;
}

const ALLOWED: Record<string, string[]> = {
  shared: ["shared"],
  "edge-functions": ["edge-functions", "shared"],
  worker: ["worker", "shared"],
  "local-supabase": ["local-supabase", "shared"],
  // vite.config.ts at the root is the web app's build configuration.
  web: ["web", "shared", "vite.config.ts"],
};

describe("dependency rules", () => {
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`${folder}/ imports only ${allowed.join(" and ")}`, () => {
      const bad: string[] = [];
      for (const f of files(folder)) for (const spec of importsOf(f)) {
        const t = target(f, spec);
        if (t && !allowed.includes(t)) bad.push(`${f} → ${spec}`);
      }
      expect(bad).toEqual([]);
    });
  }

  it("a web feature reaches another only through its index.ts", () => {
    const bad: string[] = [];
    for (const f of files("web/src")) {
      const own = f.match(/^web\/src\/features\/([^/]+)\//)?.[1];
      for (const spec of importsOf(f)) {
        if (!spec.startsWith(".")) continue;
        const to = path.relative(root, path.resolve(root, path.dirname(f), spec));
        const m = to.match(/^web\/src\/features\/([^/]+)\/(.+)$/);
        if (m && m[1] !== own && m[2] !== "index.ts") bad.push(`${f} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("what the web app imports from shared/ is browser-safe, transitively", () => {
    const SERVER = /^(node:|postgres$|pg$|langfuse|@anthropic-ai\/sdk|openai)/;
    const seen = new Set<string>();
    const bad: string[] = [];
    const resolveShared = (from: string, spec: string): string | null => {
      if (spec.startsWith("@review/shared/")) return `shared/src/${spec.slice("@review/shared/".length)}.ts`;
      if (spec.startsWith(".")) return path.relative(root, path.resolve(root, path.dirname(from), spec));
      return null;
    };
    const visit = (file: string, via: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of importsOf(file)) {
        if (SERVER.test(spec)) bad.push(`${via} → ${file} → ${spec}`);
        const next = resolveShared(file, spec);
        if (next?.startsWith("shared/")) visit(next, via);
      }
    };
    for (const f of files("web/src")) for (const spec of importsOf(f)) if (spec.startsWith("@review/shared/")) visit(resolveShared(f, spec)!, f);
    expect(seen.size).toBeGreaterThan(3);
    expect(bad).toEqual([]);
  });
});
