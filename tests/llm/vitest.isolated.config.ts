import { defineConfig } from "vitest/config";
import base from "../vitest.config.ts";

// `npx vitest run --config tests/llm/vitest.isolated.config.ts` — the LLM tests on a stack of their own.
// Arrays are replaced, not merged (mergeConfig would keep the shared global setup).
export default defineConfig({ ...base, test: { ...base.test, include: ["tests/llm/**/*.test.ts"], globalSetup: ["tests/llm/isolated-setup.ts"] } });
