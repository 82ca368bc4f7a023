import type { RealtimeChannel } from "@supabase/supabase-js";
import { supabase } from "./supabase.ts";

type ChannelOptions = {
  private?: boolean;
  presenceKey?: string;
  /** Register listeners before subscribing. */
  setup(ch: RealtimeChannel): void;
  /** Called on every successful (re)join. `again` is true after a drop: changes may have been missed. */
  onSubscribed?(ch: RealtimeChannel, again: boolean): void;
  onError?(err: Error | undefined, status: string): void;
};

/**
 * Opens a channel and returns its cleanup. After a reconnect the caller gets `again = true` and
 * reconciles once (one refetch of what it shows) instead of refetching on every event.
 */
export function openChannel(topic: string, opts: ChannelOptions): () => void {
  const ch = supabase.channel(topic, {
    config: { private: !!opts.private, presence: opts.presenceKey ? { key: opts.presenceKey } : undefined, broadcast: { self: false } },
  });
  opts.setup(ch);
  let joinedOnce = false;
  let closed = false;
  ch.subscribe((status, err) => {
    if (closed) return;
    if (status === "SUBSCRIBED") {
      opts.onSubscribed?.(ch, joinedOnce);
      joinedOnce = true;
    } else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") {
      opts.onError?.(err, status);
    }
  });
  return () => {
    closed = true;
    void supabase.removeChannel(ch);
  };
}
