import { describe, expect, it } from "vitest";
import { planRequest, type RequestParts } from "./plan.ts";
import { ReadCache } from "./read-cache.ts";
import type { Relation, Schema } from "./schema.ts";

const column = (name: string, type: string) => ({ name, type, array: type.startsWith("_"), json: type === "jsonb" });
const feedback: Relation = {
  name: "feedback",
  insertable: true,
  opaque: false,
  columns: new Map([column("id", "uuid"), column("rating", "int2"), column("query", "text"), column("labels", "_text"), column("meta", "jsonb"), column("done", "bool")].map((c) => [c.name, c])),
};
const usage: Relation = { name: "usage", insertable: true, opaque: true, columns: new Map([["org_id", column("org_id", "uuid")]]) };
const schema: Schema = new Map([
  ["feedback", feedback],
  ["usage", usage],
]);

function request(method: string, target: string, headers: Record<string, string> = {}, body?: unknown): RequestParts {
  const url = new URL(`http://x${target}`);
  return { method, path: url.pathname, search: url.search.slice(1), query: url.searchParams, header: (n) => headers[n], body: Buffer.from(body === undefined ? "" : JSON.stringify(body)) };
}

describe("planRequest", () => {
  it("plans the plain select supabase-js sends", () => {
    const plan = planRequest(request("GET", "/feedback?select=id%2Crating&rating=lte.3&query=ilike.*bill*&order=rating.desc.nullslast,id&limit=50&offset=10", { "accept-profile": "public", accept: "*/*" }), schema);
    expect(plan).toEqual({
      kind: "read",
      relation: "feedback",
      columns: ["id", "rating"],
      filters: [
        { column: "rating", op: "lte", value: "3" },
        { column: "query", op: "ilike", value: "%bill%" },
      ],
      order: [
        { column: "rating", desc: true, nulls: "last" },
        { column: "id", desc: false, nulls: null },
      ],
      limit: 50,
      offset: 10,
      single: false,
      contentLocation: "/feedback?limit=50&offset=10&order=rating.desc.nullslast%2Cid&query=ilike.*bill*&rating=lte.3&select=id%2Crating",
    });
  });

  it.each([
    ["an embedded resource", "/feedback?select=id,organizations(name)"],
    ["an alias", "/feedback?select=score:rating"],
    ["a cast", "/feedback?select=rating::text"],
    ["a JSON path", "/feedback?select=meta->a"],
    ["a logic tree", "/feedback?or=(rating.eq.1,rating.eq.2)"],
    ["a negated filter", "/feedback?rating=not.eq.1"],
    ["an array operator", "/feedback?labels=cs.{a}"],
    ["a quoted in-list", '/feedback?query=in.("a,b",c)'],
    ["an unknown column", "/feedback?nope=eq.1"],
    ["a NUL in a value", "/feedback?query=eq.a%00b"],
    ["a filter on an embedded resource", "/feedback?organizations.name=eq.x"],
    ["a repeated limit", "/feedback?limit=1&limit=2"],
    ["a negative limit", "/feedback?limit=-1"],
    ["the API key in the query", "/feedback?apikey=abc"],
    ["select=* on a table with a column it does not render", "/usage?select=*"],
    ["an unknown table", "/nope"],
    ["an RPC", "/rpc/do_it"],
  ])("leaves %s to lite", (_label, target) => {
    expect(planRequest(request("GET", target), schema)).toBeNull();
  });

  it.each([
    ["a count", { prefer: "count=exact" }],
    ["a Range header", { range: "0-9" }],
    ["another schema", { "accept-profile": "private" }],
    ["CSV", { accept: "text/csv" }],
  ])("leaves a read with %s to lite", (_label, headers) => {
    expect(planRequest(request("GET", "/feedback?select=id", headers), schema)).toBeNull();
  });

  it("plans an insert of plain values, with or without the representation", () => {
    const json = { "content-type": "application/json", "content-profile": "public" };
    const rep = planRequest(request("POST", "/feedback?select=id", { ...json, prefer: "return=representation", accept: "application/vnd.pgrst.object+json" }, { rating: 2, query: "q", meta: { a: 1 }, done: false }), schema);
    expect(rep).toMatchObject({ kind: "insert", columns: ["rating", "query", "meta", "done"], returning: ["id"], single: true, preferred: true, rowCount: 1 });
    const minimal = planRequest(request("POST", "/feedback", json, [{ rating: 1, query: "a" }, { query: "b", rating: 2 }]), schema);
    expect(minimal).toMatchObject({ kind: "insert", returning: null, preferred: false, rowCount: 2 });
  });

  it.each([
    ["an upsert", "/feedback?on_conflict=id", { prefer: "resolution=merge-duplicates" }, { rating: 1 }],
    ["the columns parameter", "/feedback?columns=rating", {}, { rating: 1 }],
    ["missing=default", "/feedback", { prefer: "return=minimal,missing=default" }, { rating: 1 }],
    ["rows with different keys", "/feedback", {}, [{ rating: 1 }, { query: "q" }]],
    ["an unknown column", "/feedback", {}, { nope: 1 }],
    ["a string for a number", "/feedback", {}, { rating: "2" }],
    ["a string for jsonb", "/feedback", {}, { meta: "x" }],
    ["an array column", "/feedback", {}, { labels: ["a"] }],
    ["an empty object", "/feedback", {}, {}],
    ["several rows for a single object", "/feedback", { prefer: "return=representation", accept: "application/vnd.pgrst.object+json" }, [{ rating: 1 }, { rating: 2 }]],
  ])("leaves an insert with %s to lite", (_label, target, headers, body) => {
    expect(planRequest(request("POST", target, { "content-type": "application/json", ...headers }, body), schema)).toBeNull();
  });

  it("leaves a body that is not JSON to lite, which answers with PostgREST's error", () => {
    const r = request("POST", "/feedback", { "content-type": "application/json" });
    expect(planRequest({ ...r, body: Buffer.from("{not json") }, schema)).toBeNull();
  });

  it("caps every read at max_rows, as PostgREST's db-max-rows does, and leaves an empty page past the start to lite", () => {
    const limitOf = (target: string) => (planRequest(request("GET", target), schema, 1000) as { limit: number | null } | null)?.limit;
    expect(limitOf("/feedback?select=id")).toBe(1000);
    expect(limitOf("/feedback?select=id&limit=5000")).toBe(1000);
    expect(limitOf("/feedback?select=id&limit=10&offset=2000")).toBe(10);
    expect((planRequest(request("GET", "/feedback?select=id"), schema) as { limit: number | null }).limit).toBeNull();
    expect(planRequest(request("GET", "/feedback?select=id&limit=0&offset=5"), schema, 1000)).toBeNull();
  });

  it("leaves updates and deletes to lite", () => {
    expect(planRequest(request("PATCH", "/feedback?id=eq.1", { "content-type": "application/json" }, { rating: 1 }), schema)).toBeNull();
    expect(planRequest(request("DELETE", "/feedback?id=eq.1"), schema)).toBeNull();
  });
});

describe("ReadCache", () => {
  const target = "/feedback?select=id,rating&rating=lte.3&order=id&limit=5";

  it("plans a read once and answers the same target from memory", () => {
    const cache = new ReadCache(schema);
    const first = cache.get(request("GET", target));
    expect(first?.plan).toEqual(planRequest(request("GET", target), schema));
    expect(first?.statement).toEqual({ text: expect.stringContaining(`"rating" <= $1`), values: ["3"] });
    const again = request("GET", target);
    let parsed = false;
    Object.defineProperty(again, "query", { get: () => ((parsed = true), new URL(`http://x${target}`).searchParams) });
    expect(cache.get(again)).toBe(first);
    expect(parsed).toBe(false);
  });

  it("plans afresh when a header the plan read has changed, either way", () => {
    const cache = new ReadCache(schema);
    expect(cache.get(request("GET", target))?.plan.single).toBe(false);
    expect(cache.get(request("GET", target, { accept: "application/vnd.pgrst.object+json" }))?.plan.single).toBe(true);
    expect(cache.get(request("GET", target, { prefer: "count=exact" }))).toBeNull();
    expect(cache.get(request("GET", target, { range: "0-9" }))).toBeNull();
    expect(cache.get(request("GET", target, { "accept-profile": "private" }))).toBeNull();
    expect(cache.get(request("GET", target))?.plan.single).toBe(false);
  });

  it("keys on the query string as sent, so a different filter value is a different plan", () => {
    const cache = new ReadCache(schema);
    const a = cache.get(request("GET", "/feedback?select=id&query=eq.a"));
    const b = cache.get(request("GET", "/feedback?select=id&query=eq.b"));
    expect(a?.statement.values).toEqual(["a"]);
    expect(b?.statement.values).toEqual(["b"]);
    expect(cache.get(request("GET", "/feedback?select=id&query=eq.a"))).toBe(a);
  });

  it("stays bounded, forgetting the oldest targets first", () => {
    const cache = new ReadCache(schema);
    const first = cache.get(request("GET", "/feedback?select=id&rating=eq.0"));
    for (let i = 1; i <= 1000; i++) cache.get(request("GET", `/feedback?select=id&rating=eq.${i}`));
    expect(cache.get(request("GET", "/feedback?select=id&rating=eq.0"))).not.toBe(first);
    expect(cache.get(request("GET", "/feedback?select=id&rating=eq.1000"))).toBe(cache.get(request("GET", "/feedback?select=id&rating=eq.1000")));
  });
});
