import { defineConfig } from "vitest/config";
import base from "../vitest.config.ts";

// `npx vitest run --config tests/prompts/vitest.isolated.config.ts` — the prompt-studio tests on a stack
// of their own (.data/test-prompts), so they can run while another suite holds the shared test stack.
// Arrays are replaced, not merged (mergeConfig would keep the shared global setup).
export default defineConfig({ ...base, test: { ...base.test, include: ["tests/prompts/**/*.test.ts"], globalSetup: ["tests/prompts/isolated-setup.ts"] } });
