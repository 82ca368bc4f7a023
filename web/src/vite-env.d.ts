/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_SUPABASE_URL?: string;
  readonly VITE_SUPABASE_ANON_KEY?: string;
  /** Co-editing send window in ms (shared/src/yjs, SPEC Y3); 0 = every change at once. */
  readonly VITE_COEDIT_SEND_WINDOW_MS?: string;
}

interface Window {
  /** Set by /runtime-config.js when a local server injects the stack's URL and key. */
  __REVIEW_ENV__?: { supabaseUrl: string; supabaseAnonKey: string } | null;
}
