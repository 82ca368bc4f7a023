import { defineConfig } from "vitest/config";

// The realtime tests without the full gateway: Postgres + bootstrap + the realtime server only.
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["tests/realtime/**/*.test.ts"],
    globalSetup: ["tests/realtime/standalone-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
