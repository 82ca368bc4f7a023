import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { INGEST_EXAMPLE, IngestRequest, ingestCurl } from "./ingest-feedback.ts";

describe("the ingest example", () => {
  it("is a request the function accepts, and the README shows exactly it", () => {
    expect(IngestRequest.parse(INGEST_EXAMPLE)).toEqual(INGEST_EXAMPLE);
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, "../../../README.md"), "utf8");
    expect(readme).toContain(ingestCurl("http://127.0.0.1:54321/functions/v1"));
  });
});
