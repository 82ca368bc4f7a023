import { useEffect } from "react";
import { create } from "zustand";
import type { Session } from "@supabase/supabase-js";
import { supabase } from "../../lib/supabase.ts";

type SessionState = { session: Session | null; ready: boolean };

/** The signed-in session, kept in step with supabase-js (sign in/out in another tab included). */
export const useSessionStore = create<SessionState>(() => ({ session: null, ready: false }));

let started = false;
export function startSessionSync(): void {
  if (started) return;
  started = true;
  void supabase.auth.getSession().then(({ data }) => useSessionStore.setState({ session: data.session, ready: true }));
  supabase.auth.onAuthStateChange((_event, session) => {
    useSessionStore.setState({ session, ready: true });
    // Private channels authorize with the user's token; refreshed tokens must reach Realtime too.
    if (session) void supabase.realtime.setAuth(session.access_token);
  });
}

export function useSession() {
  useEffect(startSessionSync, []);
  return useSessionStore();
}

/** The signed-in user's id; only call below the auth gate. */
export function useUserId(): string {
  const id = useSessionStore((s) => s.session?.user.id);
  if (!id) throw new Error("useUserId used outside the auth gate");
  return id;
}
