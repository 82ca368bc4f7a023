import { defineConfig } from "vitest/config";

// The SPA's unit tests: pure logic and hooks, in happy-dom. Run alone with
// `npx vitest run --config web/vitest.config.ts`, or as the "web" project of tests/e2e/vitest.config.ts.
export default defineConfig({
  test: {
    root: new URL(".", import.meta.url).pathname,
    include: ["src/**/*.test.{ts,tsx}"],
    environment: "happy-dom",
  },
});
