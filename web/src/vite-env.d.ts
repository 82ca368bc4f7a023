/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_SUPABASE_URL?: string;
  readonly VITE_SUPABASE_ANON_KEY?: string;
}

interface Window {
  /** Set by /runtime-config.js when a local server injects the stack's URL and key. */
  __REVIEW_ENV__?: { supabaseUrl: string; supabaseAnonKey: string } | null;
}
