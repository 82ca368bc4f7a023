import { defineConfig } from "vitest/config";

// One embedded stack for the whole run (started in global-setup); tests make unique tenants instead
// of resetting the database, so files run in parallel against it.
export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["tests/**/*.test.ts", "shared/**/*.test.ts", "local-supabase/**/*.test.ts", "edge-functions/**/*.test.ts", "worker/**/*.test.ts"],
    exclude: ["**/node_modules/**", "tests/e2e/**"],
    globalSetup: ["tests/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
