// Runs under Deno, not Node: the bootstrap for one Edge Function process. Supabase's edge runtime
// gives each function its own isolate and calls the handler the function passed to Deno.serve; here
// each function gets its own Deno process and we bind its Deno.serve to the port the gateway chose.
const [entrypoint, port] = Deno.args;
if (!entrypoint || !port) {
  console.error("usage: serve-function.ts <entrypoint> <port>");
  Deno.exit(2);
}

type Handler = (req: Request, info: unknown) => Response | Promise<Response>;
const originalServe = Deno.serve.bind(Deno);

function jsonError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: unknown[]) => {
  const handler = args.find((a) => typeof a === "function") as Handler | undefined;
  const options = (args.find((a) => typeof a === "object" && a !== null) ?? {}) as { handler?: Handler };
  const fn = handler ?? options.handler;
  if (!fn) throw new Error("Deno.serve was called without a handler");
  return originalServe({ port: Number(port), hostname: "127.0.0.1", onListen: () => console.log(`listening ${port}`) }, async (req, info) => {
    try {
      return await fn(req, info);
    } catch (err) {
      console.error(err instanceof Error ? err.stack ?? err.message : String(err));
      return jsonError(500, "function_error", err instanceof Error ? err.message : "The function failed");
    }
  });
};

// The gateway holds our stdin open and never writes to it: end of input means the gateway is gone (even a
// kill -9 closes the pipe), and a function process must not outlive it (functions/runner.ts).
(async () => {
  try {
    for await (const _ of Deno.stdin.readable) {
      /* nothing is ever sent */
    }
  } catch {
    /* a broken pipe is the same news */
  }
  Deno.exit(0);
})();

globalThis.addEventListener("unhandledrejection", (e) => {
  console.error("unhandled rejection:", e.reason);
  e.preventDefault();
});

try {
  await import(new URL(`file://${entrypoint}`).href);
} catch (err) {
  // Exit, rather than live on as a process that serves nothing: the stdin watch above would keep it up.
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  Deno.exit(1);
}
