import { defineConfig } from "vitest/config";

const root = new URL("../..", import.meta.url).pathname;

// Two projects under one run: the SPA's unit tests (happy-dom, no stack needed but cheap to share)
// and the browser scenarios against the real stack + worker + built SPA (global-setup.ts).
export default defineConfig({
  test: {
    root,
    globalSetup: ["tests/e2e/global-setup.ts"],
    reporters: ["default"],
    projects: [
      {
        extends: "web/vitest.config.ts",
        test: { name: "web", root: `${root}web` },
      },
      {
        test: {
          name: "e2e",
          root,
          include: ["tests/e2e/**/*.e2e.test.ts"],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          pool: "forks",
          // Each file drives its own Chromium with several windows; two cores run one file at a time.
          fileParallelism: false,
          maxWorkers: 1,
        },
      },
    ],
  },
});
