import { describe, expect, it } from "vitest";
import { INTERNAL_TASKS, JOB_KINDS } from "@review/shared/jobs/kinds";
import { createProcessors } from "../../worker/src/processors.ts";
import type { HandlerDeps } from "../../worker/src/features/common.ts";

describe("worker processors", () => {
  it("handle exactly the job kinds and internal tasks shared/src/jobs/kinds.ts names (plus the benchmarks' noop)", () => {
    const handled = Object.keys(createProcessors({} as HandlerDeps)).sort();
    expect(handled).toEqual([...Object.keys(JOB_KINDS), ...Object.keys(INTERNAL_TASKS), "noop"].sort());
  });
});
