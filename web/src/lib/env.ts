export type WebEnv = { supabaseUrl: string; supabaseAnonKey: string };

/**
 * Runtime values (injected by a local server) win over build-time ones, so the same bundle runs
 * against the embedded stack and, when built with VITE_* set, against a real project.
 */
export function readEnv(runtime = window.__REVIEW_ENV__, build: ImportMetaEnv = import.meta.env): WebEnv {
  const supabaseUrl = runtime?.supabaseUrl || build.VITE_SUPABASE_URL;
  const supabaseAnonKey = runtime?.supabaseAnonKey || build.VITE_SUPABASE_ANON_KEY;
  if (!supabaseUrl || !supabaseAnonKey) {
    throw new Error("The app is not configured: set VITE_SUPABASE_URL and VITE_SUPABASE_ANON_KEY when building.");
  }
  return { supabaseUrl: supabaseUrl.replace(/\/$/, ""), supabaseAnonKey };
}
