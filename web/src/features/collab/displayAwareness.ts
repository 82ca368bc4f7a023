import type { Awareness } from "y-protocols/awareness";

export type CursorUser = { name: string; color: string };
type Change = { added: number[]; updated: number[]; removed: number[] };
type Listener = (change: Change, origin: unknown) => void;

const HEX = /^#[0-9a-fA-F]{6}$/;
const UNKNOWN: CursorUser = { name: "Unknown member", color: "#64748b" };

/**
 * The awareness y-codemirror draws remote cursors from, with each peer's name and colour taken from the
 * profile of the user it is present as (`resolve`), not from the `user` its client wrote into its own
 * awareness state, which can say anything. Everything else, the local cursor it writes included, is
 * the real awareness. `refresh()` redraws the cursors when who-is-who changes (profiles, presence).
 */
export function displayAwareness(inner: Awareness, resolve: (clientId: number) => CursorUser | undefined): { awareness: Awareness; refresh(): void } {
  const listeners = new Set<Listener>();
  const named = (state: Record<string, unknown>, clientId: number) => {
    const who = resolve(clientId) ?? UNKNOWN;
    // Drawn into a style attribute: only a plain hex colour gets there.
    const color = HEX.test(who.color) ? who.color : UNKNOWN.color;
    return { ...state, user: { name: who.name, color, colorLight: `${color}33` } };
  };
  const awareness = new Proxy(inner, {
    get(target, prop) {
      if (prop === "getStates") {
        return () => {
          const out = new Map<number, Record<string, unknown>>();
          target.getStates().forEach((state, clientId) => out.set(clientId, clientId === target.clientID ? state : named(state, clientId)));
          return out;
        };
      }
      if (prop === "on" || prop === "off") {
        return (name: string, fn: Listener) => {
          if (name === "change") {
            if (prop === "on") listeners.add(fn);
            else listeners.delete(fn);
          }
          (target[prop] as (n: string, f: Listener) => void).call(target, name, fn);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    awareness,
    refresh() {
      const updated = [...inner.getStates().keys()].filter((id) => id !== inner.clientID);
      if (!updated.length) return;
      for (const fn of [...listeners]) fn({ added: [], updated, removed: [] }, "profiles");
    },
  };
}
