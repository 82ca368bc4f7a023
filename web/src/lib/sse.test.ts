import { describe, expect, it } from "vitest";
import { readSse } from "./sse.ts";

function stream(chunks: string[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(chunks.join(""));
  // Split at arbitrary byte offsets, including inside the multi-byte "é".
  const cuts = [0, 3, 11, 17, 30, 31, bytes.length];
  return new ReadableStream({
    start(c) {
      for (let i = 0; i < cuts.length - 1; i++) c.enqueue(bytes.slice(cuts[i], cuts[i + 1]));
      c.close();
    },
  });
}

describe("readSse", () => {
  it("parses events split anywhere", async () => {
    const out = [];
    for await (const e of readSse(stream(['event: delta\ndata: {"text":"é1"}\n\n', ": comment\n\n", 'event: done\ndata: {"a":1}\r\n\r\n', "data: tail"]))) out.push(e);
    expect(out).toEqual([
      { event: "delta", data: '{"text":"é1"}' },
      { event: "done", data: '{"a":1}' },
      { event: "message", data: "tail" },
    ]);
  });
});
