/**
 * Runs in every upstream test file before it loads. Two adaptations only, both about where the server is:
 * - upstream's tests call http://localhost:54321/rest/v1 (the Supabase CLI's port); the stack under test
 *   listens on a free port, so requests to that origin go to it;
 * - Supabase's gateway wants an API key; the tests send none (the CLI's Kong admits them as anon), so a
 *   request without one gets the anon key, as supabase-js would send it.
 * And upstream's tests are written for Jest: `jest.fn()` and friends are vitest's `vi`.
 */
import { vi } from "vitest";

const apiUrl = process.env.CONFORMANCE_API_URL;
const anonKey = process.env.CONFORMANCE_ANON_KEY;
if (!apiUrl || !anonKey) throw new Error("run through tests/conformance/postgrest-js/run.ts");

(globalThis as unknown as { jest: typeof vi }).jest = vi;

const upstreamOrigin = "http://localhost:54321";
const realFetch = globalThis.fetch;
globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (!url.startsWith(upstreamOrigin)) return realFetch(input, init);
  const request = new Request(apiUrl + url.slice(upstreamOrigin.length), input instanceof Request ? input : undefined);
  const headers = new Headers(init?.headers ?? request.headers);
  if (!headers.has("apikey")) headers.set("apikey", anonKey);
  return realFetch(request, { ...init, headers });
}) as typeof fetch;
