import { describe, expect, it } from "vitest";
import { Kysely, PostgresDialect } from "kysely";
import { CONTEXT_STATEMENT, contextQuery } from "./rest.ts";
import { contextStatement } from "./rest/fast/sql.ts";

const db = new Kysely<never>({ dialect: new PostgresDialect({ pool: {} as never }) });
const claims = { sub: "u1", role: "authenticated", email: "o'brien@example.com" };

describe("the request context both REST engines set", () => {
  it("is one statement on lite's path, which the pipelined BEGIN recognises", () => {
    const q = contextQuery({ auth: { role: "authenticated", uid: "u1", jwt: claims } }).compile(db);
    // If the text stopped starting with CONTEXT_STATEMENT, BEGIN would silently travel alone again.
    expect(q.sql.startsWith(CONTEXT_STATEMENT)).toBe(true);
    expect(q.parameters).toEqual(["authenticated", "u1", "authenticated", "", JSON.stringify(claims)]);
  });

  it("keeps the claims already set when lite has none to give", () => {
    const q = contextQuery({ auth: { role: "anon" } }).compile(db);
    expect(q.sql).toContain("set_config('request.jwt.claims', coalesce(current_setting('request.jwt.claims', true), ''), true)");
    expect(q.parameters).toEqual(["anon", "", "anon", ""]);
  });

  it("sets the same settings, in the same order, on the fast path", () => {
    const names = (text: string) => [...text.matchAll(/set_config\('([^']+)'/g)].map((m) => m[1]);
    const lite = contextQuery({ auth: { role: "authenticated", uid: "u1", jwt: claims } }).compile(db);
    const fast = contextStatement({ role: "authenticated", claims }, false);
    expect(names(fast.text)).toEqual(names(lite.sql));
    expect(fast.values).toEqual(lite.parameters);
    // With the role's statement timeout (role-settings.ts), both engines set it last, the same way.
    const liteTimed = contextQuery({ auth: { role: "authenticated", uid: "u1", jwt: claims } }, () => "8s").compile(db);
    const fastTimed = contextStatement({ role: "authenticated", claims }, false, "8s");
    expect(names(fastTimed.text)).toEqual(names(liteTimed.sql));
    expect(names(fastTimed.text).at(-1)).toBe("statement_timeout");
    expect(fastTimed.values).toEqual(liteTimed.parameters);
    const anonRead = contextStatement({ role: "anon", claims: {} }, true);
    expect(names(anonRead.text)).toEqual([...names(lite.sql), "transaction_read_only"]);
    expect(anonRead.values.at(-1)).toBe("on");
  });
});
