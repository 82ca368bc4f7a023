import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { generateDatabaseTypes, TYPES_FILE } from "../../dev/database-types.ts";
import { getStack } from "../helpers/stack.ts";

// The typed contract between the database and its callers (the web app, the Edge Functions) is
// generated from the migrated schema; a migration that changes it must come with the regenerated file.
describe("shared/src/database.types.ts", () => {
  it("is what Supabase's generator writes for the migrated schema (npm run gen:types)", async () => {
    const generated = await generateDatabaseTypes((await getStack()).dbUrl);
    expect(fs.readFileSync(TYPES_FILE, "utf8"), "shared/src/database.types.ts is stale: run `npm run gen:types`").toBe(generated);
  }, 60_000);
});
