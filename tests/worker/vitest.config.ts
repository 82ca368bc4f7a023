import { defineConfig } from "vitest/config";
import base from "../vitest.config.ts";

// `npx vitest run --config tests/worker/vitest.config.ts` — the worker's tests (these, worker/ and the
// statistics) on a stack of their own, so they can run while another suite holds the shared test stack.
// Arrays are replaced, not merged (mergeConfig would keep the shared global setup).
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["tests/worker/**/*.test.ts", "worker/**/*.test.ts", "shared/src/stats/**/*.test.ts"],
    globalSetup: ["tests/worker/isolated-setup.ts"],
  },
});
