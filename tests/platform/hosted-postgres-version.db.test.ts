import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger, freePort, startStack } from "@review/local-supabase";
import { declaredPostgresMajor, embeddedPostgresMajor } from "../../local-supabase/src/pg-version.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-major-"));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe("the embedded Postgres runs hosted's major version", () => {
  it("is the major version supabase/config.toml declares", () => {
    expect(declaredPostgresMajor(root)).toBe(17);
    expect(embeddedPostgresMajor()).toBe(declaredPostgresMajor(root));
  });

  it("refuses a data directory another major version initialised, saying to delete it", async () => {
    // What an earlier checkout (PostgreSQL 18) leaves in .data/postgres.
    fs.mkdirSync(path.join(dataDir, "postgres"), { recursive: true });
    fs.writeFileSync(path.join(dataDir, "postgres", "PG_VERSION"), "18\n");
    const started = startStack({ dataDir, apiPort: 0, dbPort: await freePort(), log: createLogger("pg-major", "error", true) });
    await expect(started).rejects.toThrow(/initialised by PostgreSQL 18, but this stack runs PostgreSQL 17.*delete/s);
    // Nothing was started or changed: the directory is still PostgreSQL 18's, and its lock is released.
    expect(fs.readFileSync(path.join(dataDir, "postgres", "PG_VERSION"), "utf8")).toBe("18\n");
    expect(fs.readdirSync(path.join(dataDir, "postgres"))).toEqual(["PG_VERSION"]);
  });
});
