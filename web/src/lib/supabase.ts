import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "@review/shared/database.types";
import { readEnv } from "./env.ts";

export const env = readEnv();

/** The one client of the app; RLS decides what it may read and write as the signed-in user. */
export const supabase: SupabaseClient<Database> = createClient<Database>(env.supabaseUrl, env.supabaseAnonKey, {
  auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: true },
  realtime: { params: { eventsPerSecond: 50 } },
});
