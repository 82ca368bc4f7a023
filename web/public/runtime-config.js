// Replaced at serve time by the local dev/preview server; a static deploy keeps this file and the
// values baked in from VITE_SUPABASE_URL / VITE_SUPABASE_ANON_KEY at build time are used.
window.__REVIEW_ENV__ = window.__REVIEW_ENV__ || null;
