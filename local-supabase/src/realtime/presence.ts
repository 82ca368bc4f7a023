import { randomBytes } from "node:crypto";

export type Meta = Record<string, unknown> & { phx_ref: string; phx_ref_prev?: string };
export type PresenceState = Record<string, { metas: Meta[] }>;
export type PresenceDiff = { joins: PresenceState; leaves: PresenceState };

/** Phoenix refs are opaque unique strings; the client only compares them for equality. */
export function newPhxRef(): string {
  return randomBytes(9).toString("base64url");
}

/**
 * SPEC R1-R4: one topic's presence, Phoenix.Presence semantics on a single node: each tracker
 * (a joined channel) holds at most one meta under its key; re-tracking replaces it with a new
 * phx_ref (the diff carries the old meta as a leave and the new one, with phx_ref_prev, as a join).
 */
export class TopicPresence<Owner> {
  private byKey = new Map<string, Map<Owner, Meta>>();

  get size(): number {
    return this.byKey.size;
  }

  state(): PresenceState {
    const out: PresenceState = {};
    for (const [key, owners] of this.byKey) out[key] = { metas: [...owners.values()] };
    return out;
  }

  track(owner: Owner, key: string, payload: Record<string, unknown>): PresenceDiff {
    const owners = this.byKey.get(key) ?? new Map<Owner, Meta>();
    this.byKey.set(key, owners);
    const prev = owners.get(owner);
    const meta: Meta = { ...payload, phx_ref: newPhxRef(), ...(prev ? { phx_ref_prev: prev.phx_ref } : {}) };
    owners.set(owner, meta);
    return { joins: { [key]: { metas: [meta] } }, leaves: prev ? { [key]: { metas: [prev] } } : {} };
  }

  untrack(owner: Owner, key: string): PresenceDiff | null {
    const owners = this.byKey.get(key);
    const prev = owners?.get(owner);
    if (!owners || !prev) return null;
    owners.delete(owner);
    if (owners.size === 0) this.byKey.delete(key);
    return { joins: {}, leaves: { [key]: { metas: [prev] } } };
  }
}
