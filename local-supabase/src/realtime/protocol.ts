/**
 * Phoenix wire format as @supabase/realtime-js speaks it.
 *
 * Written here rather than taken from a library: the only JS implementations of the binary
 * user-broadcast layout are the client serializers (realtime-js' lib/serializer.js, which
 * encodes kind 3 and decodes kind 4); the server side is the mirror image (decode 3, encode 4).
 */

export type Vsn = "1.0.0" | "2.0.0";

export type Frame = {
  join_ref: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
};

/** A user broadcast as carried through the server, so each recipient's encoding is made once. */
export type UserBroadcast = {
  topic: string; // full topic, "realtime:<sub>"
  event: string; // user event name
  /** JSON value, or raw bytes when the sender sent an ArrayBuffer. */
  payload: unknown;
  binary: boolean;
  meta?: Record<string, unknown>;
};

export class ProtocolError extends Error {}

const KIND_USER_BROADCAST_PUSH = 3;
const KIND_USER_BROADCAST = 4;
const ENC_BINARY = 0;
const ENC_JSON = 1;

export type Decoded = { kind: "frame"; frame: Frame } | { kind: "userBroadcastPush"; frame: Frame; broadcast: UserBroadcast };

/** SPEC P1/P2: decode one websocket message; throws ProtocolError on anything malformed. */
export function decodeMessage(vsn: Vsn, data: Buffer, isBinary: boolean): Decoded {
  if (isBinary) {
    if (vsn !== "2.0.0") throw new ProtocolError("binary frames need vsn 2.0.0");
    return decodeUserBroadcastPush(data);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString("utf8"));
  } catch {
    throw new ProtocolError("frame is not JSON");
  }
  let frame: Frame;
  if (vsn === "2.0.0") {
    if (!Array.isArray(parsed) || parsed.length !== 5) throw new ProtocolError("vsn 2.0.0 frame must be a 5-element array");
    const [join_ref, ref, topic, event, payload] = parsed as unknown[];
    frame = { join_ref: refOrNull(join_ref), ref: refOrNull(ref), topic: str(topic, "topic"), event: str(event, "event"), payload };
  } else {
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new ProtocolError("vsn 1.0.0 frame must be an object");
    const o = parsed as Record<string, unknown>;
    frame = {
      join_ref: refOrNull(o.join_ref),
      ref: refOrNull(o.ref),
      topic: str(o.topic, "topic"),
      event: str(o.event, "event"),
      payload: o.payload ?? {},
    };
  }
  if (frame.payload === null || typeof frame.payload !== "object") throw new ProtocolError("payload must be an object");
  return { kind: "frame", frame };
}

function refOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  throw new ProtocolError("ref must be a string");
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string" || v.length === 0) throw new ProtocolError(`${what} must be a non-empty string`);
  return v;
}

function decodeUserBroadcastPush(buf: Buffer): Decoded {
  if (buf.length < 7) throw new ProtocolError("binary frame too short");
  const kind = buf[0];
  if (kind !== KIND_USER_BROADCAST_PUSH) throw new ProtocolError(`unsupported binary kind ${kind}`);
  const joinRefLen = buf[1]!;
  const refLen = buf[2]!;
  const topicLen = buf[3]!;
  const eventLen = buf[4]!;
  const metaLen = buf[5]!;
  const encoding = buf[6]!;
  let off = 7;
  const take = (n: number) => {
    if (off + n > buf.length) throw new ProtocolError("binary frame truncated");
    const s = buf.subarray(off, off + n).toString("latin1");
    off += n;
    return s;
  };
  const joinRef = take(joinRefLen);
  const ref = take(refLen);
  const topic = take(topicLen);
  const event = take(eventLen);
  const metaText = take(metaLen);
  if (!topic || !event) throw new ProtocolError("binary frame without topic or event");
  const body = buf.subarray(off);
  let payload: unknown;
  let binary: boolean;
  if (encoding === ENC_JSON) {
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      throw new ProtocolError("binary frame JSON payload is not JSON");
    }
    binary = false;
  } else if (encoding === ENC_BINARY) {
    payload = Buffer.from(body);
    binary = true;
  } else {
    throw new ProtocolError(`unknown payload encoding ${encoding}`);
  }
  let meta: Record<string, unknown> | undefined;
  if (metaText) {
    try {
      meta = JSON.parse(metaText) as Record<string, unknown>;
    } catch {
      throw new ProtocolError("binary frame metadata is not JSON");
    }
  }
  const frame: Frame = { join_ref: joinRef || null, ref: ref || null, topic, event: "broadcast", payload: { type: "broadcast", event, payload } };
  return { kind: "userBroadcastPush", frame, broadcast: { topic, event, payload, binary, ...(meta ? { meta } : {}) } };
}

export function encodeFrame(vsn: Vsn, f: Frame): string {
  if (vsn === "2.0.0") return JSON.stringify([f.join_ref, f.ref, f.topic, f.event, f.payload]);
  return JSON.stringify({ join_ref: f.join_ref, ref: f.ref, topic: f.topic, event: f.event, payload: f.payload });
}

/** SPEC P3: kind-4 frame, the layout realtime-js' Serializer._decodeUserBroadcast reads. */
export function encodeUserBroadcast(b: UserBroadcast): Buffer {
  const topic = Buffer.from(b.topic, "utf8");
  const event = Buffer.from(b.event, "utf8");
  const meta = b.meta && Object.keys(b.meta).length ? Buffer.from(JSON.stringify(b.meta), "utf8") : Buffer.alloc(0);
  if (topic.length > 255 || event.length > 255 || meta.length > 255) throw new ProtocolError("topic, event or metadata longer than 255 bytes");
  const body = b.binary ? (b.payload as Buffer) : Buffer.from(JSON.stringify(b.payload ?? {}), "utf8");
  const header = Buffer.from([KIND_USER_BROADCAST, topic.length, event.length, meta.length, b.binary ? ENC_BINARY : ENC_JSON]);
  return Buffer.concat([header, topic, event, meta, body]);
}

/** The JSON form of a user broadcast, for vsn 1.0.0 sockets. */
export function userBroadcastFrame(b: UserBroadcast): Frame {
  return { join_ref: null, ref: null, topic: b.topic, event: "broadcast", payload: { type: "broadcast", event: b.event, payload: b.payload, ...(b.meta ? { meta: b.meta } : {}) } };
}

export function payloadSize(b: UserBroadcast): number {
  return b.binary ? (b.payload as Buffer).length : Buffer.byteLength(JSON.stringify(b.payload ?? null));
}
