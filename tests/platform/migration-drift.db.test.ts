import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { changedMigrations, driftAdvice } from "@review/local-supabase/migration-drift";
import { getStack, sql } from "../helpers/stack.ts";

const repo = path.resolve(import.meta.dirname, "..", "..");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "drift-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("migrations changed after they were applied", () => {
  it("are named, with what to do, and untouched files are not", async () => {
    const stack = await getStack();
    const dir = path.join(root, "supabase", "migrations");
    fs.cpSync(path.join(repo, "supabase", "migrations"), dir, { recursive: true });
    expect(await changedMigrations(sql(stack), root)).toEqual([]);

    const [file] = fs.readdirSync(dir).filter((f) => f.includes("_review."));
    fs.appendFileSync(path.join(dir, file!), "\ncreate table public.added_later (id int);\n");
    fs.writeFileSync(path.join(dir, "29991231000000_not_applied_yet.sql"), "select 1;\n");
    const changed = await changedMigrations(sql(stack), root);
    expect(changed).toEqual([file]);
    expect(driftAdvice(changed, "/srv/data")).toMatch(new RegExp(`supabase/migrations/${file}.*new migration.*/srv/data/postgres`));

    const [removed] = fs.readdirSync(dir).filter((f) => f.includes("_observability."));
    fs.rmSync(path.join(dir, removed!));
    expect(await changedMigrations(sql(stack), root)).toEqual([file, `${removed!.split("_")[0]}_* (file removed)`]);
  });
});
