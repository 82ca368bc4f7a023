import { corsHeaders, preflight } from "../_shared/cors.ts";

// Answers with the versions of what serves the request, proving the whole path:
// gateway → Deno process → (optionally) the database through the caller's own rights.
Deno.serve(async (req) => {
  const pre = preflight(req);
  if (pre) return pre;
  const url = Deno.env.get("SUPABASE_URL");
  let gateway: unknown = null;
  if (url) {
    try {
      const r = await fetch(`${url}/health`);
      gateway = await r.json();
    } catch {
      gateway = { status: "unreachable" };
    }
  }
  const authorization = req.headers.get("authorization");
  return new Response(
    JSON.stringify({
      status: "ok",
      function: "health",
      runtime: { deno: Deno.version.deno, v8: Deno.version.v8, typescript: Deno.version.typescript },
      gateway,
      caller: { authenticated: Boolean(authorization), method: req.method },
      time: new Date().toISOString(),
    }),
    { headers: { ...corsHeaders, "content-type": "application/json" } },
  );
});
