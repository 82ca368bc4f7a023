import { supabase } from "../../lib/supabase.ts";
import { useConnection, type SocketState } from "./state.ts";

let started = false;

/**
 * Watches the browser's connectivity and the Realtime socket. realtime-js reconnects and rejoins by
 * itself; this only reports it, so the header can say what is going on.
 */
export function startConnectionMonitor(): void {
  if (started || typeof window === "undefined") return;
  started = true;
  const setOnline = () => useConnection.setState({ online: navigator.onLine });
  window.addEventListener("online", setOnline);
  window.addEventListener("offline", setOnline);
  const tick = () => {
    let socket: SocketState;
    if (supabase.realtime.getChannels().length === 0) socket = "connected"; // nothing live to keep up with
    else if (supabase.realtime.isConnected()) socket = "connected";
    else socket = supabase.realtime.connectionState() === "connecting" ? "connecting" : "disconnected";
    const state = useConnection.getState();
    if (state.socket !== socket) useConnection.setState({ socket });
    if (!state.connectedOnce && supabase.realtime.isConnected()) useConnection.setState({ connectedOnce: true });
  };
  tick();
  setInterval(tick, 1000);
}
