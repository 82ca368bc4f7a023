import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOwnStack } from "../helpers/own-stack.ts";
import { client, serviceClient, waitFor } from "../helpers/stack.ts";
import { mailTo } from "../helpers/mail.ts";

/**
 * GoTrue's rate limits on a stack of this suite's own, with tight limits and a 2-second window in
 * place of 5 minutes (the shared stack's are generous, so the suite's own sign-ins never meet them).
 * Each test spends a different limit: token grants, verifications, emails and sign-ups.
 */
const WINDOW_MS = 2_000;
let stack: Awaited<ReturnType<typeof startOwnStack>>;

beforeAll(async () => {
  stack = await startOwnStack("auth-limits", {}, {
    authRateLimits: { signInSignUps: 10, tokenRefresh: 10, tokenVerifications: 10, emailSent: 2, anonymousUsers: 10, windowMs: WINDOW_MS, longWindowMs: 60 * 60_000 },
  });
});
afterAll(async () => {
  await stack?.dispose();
});

const address = (label: string) => `${label}-${randomUUID().slice(0, 8)}@test.example.com`;

async function passwordGrant(email: string, password: string) {
  return fetch(`${stack.apiUrl}/auth/v1/token?grant_type=password`, {
    method: "POST",
    headers: { apikey: stack.anonKey, "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
}

describe("Auth rate limits, as GoTrue applies them", () => {
  it("stops guessing passwords with a 429 well before 200 tries, and lets the owner in after the window", async () => {
    const email = address("guessed");
    const made = await serviceClient(stack).auth.admin.createUser({ email, password: "the-right-one-1", email_confirm: true });
    expect(made.error).toBeNull();

    // Guesses go in bursts, as an attacker sends them: one at a time on a loaded machine, a 2 s window
    // could refill as fast as slow requests drain it.
    let limited: Response | null = null;
    let tries = 0;
    while (tries < 200 && !limited) {
      const burst = await Promise.all(Array.from({ length: 25 }, (_, i) => passwordGrant(email, `guess-${tries + i}-x`)));
      tries += burst.length;
      for (const res of burst) {
        if (res.status === 429) limited ??= res;
        else expect(res.status).toBe(400);
      }
    }
    expect(limited).not.toBeNull();
    expect(tries).toBeLessThan(200);
    const retryAfter = Number(limited!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil(WINDOW_MS / 1000));
    expect(await limited!.json()).toEqual({ code: 429, error_code: "over_request_rate_limit", msg: "Request rate limit reached" });

    // After the window the owner gets in (a refused attempt takes nothing, so asking again is fine).
    await waitFor(async () => (await passwordGrant(email, "the-right-one-1")).status === 200, { timeout: WINDOW_MS * 3, interval: 100, message: "sign-in allowed again" });
  });

  it("limits link and code verifications per client", async () => {
    let limited: Response | null = null;
    for (let round = 0; round < 4 && !limited; round++) {
      const burst = await Promise.all(Array.from({ length: 25 }, (_, i) => fetch(`${stack.apiUrl}/auth/v1/verify`, {
        method: "POST",
        headers: { apikey: stack.anonKey, "content-type": "application/json" },
        body: JSON.stringify({ type: "signup", token_hash: `${randomUUID()}${round}-${i}` }),
      })));
      limited = burst.find((res) => res.status === 429) ?? null;
    }
    expect(limited).not.toBeNull();
    expect(limited!.headers.get("retry-after")).toBeTruthy();
    expect(((await limited!.json()) as { error_code: string }).error_code).toBe("over_request_rate_limit");
  });

  it("sends at most email_sent emails an hour, then answers 429 over_email_send_rate_limit and creates nothing", async () => {
    const sent: string[] = [];
    let refused: Awaited<ReturnType<ReturnType<typeof client>["auth"]["signUp"]>> | null = null;
    let refusedEmail = "";
    for (let i = 0; i < 3 && !refused; i++) {
      const email = address(`mail-${i}`);
      const up = await client(stack).auth.signUp({ email, password: "mail-pass-1" });
      if (up.error) {
        refused = up;
        refusedEmail = email;
      } else sent.push(email);
    }
    expect(sent).toHaveLength(2);
    expect(refused?.error?.status).toBe(429);
    expect(refused?.error?.code).toBe("over_email_send_rate_limit");
    for (const email of sent) expect(await mailTo(stack, email)).toHaveLength(1);
    expect(await mailTo(stack, refusedEmail)).toEqual([]);
    const noAccount = await serviceClient(stack).auth.admin.listUsers({ page: 1, perPage: 1000 });
    expect(noAccount.data.users.some((u) => u.email === refusedEmail)).toBe(false);

    // The same answer for an address that has an account: the limit reveals nothing either.
    const taken = address("mail-taken");
    await serviceClient(stack).auth.admin.createUser({ email: taken, password: "taken-pass-1", email_confirm: true });
    const onTaken = await client(stack).auth.signUp({ email: taken, password: "mail-pass-1" });
    expect(onTaken.error?.code).toBe("over_email_send_rate_limit");
    const raw = await fetch(`${stack.apiUrl}/auth/v1/recover`, {
      method: "POST",
      headers: { apikey: stack.anonKey, "content-type": "application/json" },
      body: JSON.stringify({ email: taken }),
    });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
