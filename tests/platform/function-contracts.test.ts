import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FUNCTIONS } from "@review/shared/api/functions";
import { parse } from "smol-toml";

const root = path.resolve(import.meta.dirname, "../..");
const deployed = Object.keys((parse(fs.readFileSync(path.join(root, "supabase/config.toml"), "utf8")) as { functions: Record<string, unknown> }).functions);

describe("Edge Function contracts (shared/src/api)", () => {
  it("name only deployed functions, and every function parses its body with a schema from shared/src/api", () => {
    for (const name of Object.keys(FUNCTIONS)) expect(deployed, name).toContain(name);
    for (const name of deployed) {
      const source = fs.readFileSync(path.join(root, "edge-functions", name, "index.ts"), "utf8");
      if (!source.includes("parseBody(")) continue; // health takes no body
      // The schema the function validates with is the one its callers are typed by: no local copy.
      expect(source, name).not.toMatch(/const Input = z\./);
      expect(source, name).not.toMatch(/from "(npm:)?zod(@[^"]*)?"/);
      expect(source, name).toMatch(/from "\.\.\/\.\.\/shared\/src\/(api|jobs)\//);
    }
  });
});
