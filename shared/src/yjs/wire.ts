import * as syncProtocol from "y-protocols/sync";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";

/**
 * The provider's messages: the payload of the binary broadcast event `y` (SPEC Y1).
 *
 * Version 1: `varuint kind` then one y-protocols message: 0 sync (step1, step2 or update), 1 awareness
 * update, 2 hello (a joiner's step1).
 *
 * Version 2 adds sections after a sync message, so that an edit and the cursor that follows it travel
 * as one message and in that order: `varuint WIRE_VERSION`, then `(varuint tag, varUint8Array body)*`
 * to the end. Tag 1 is an awareness update, applied after the sync message. A version-1 reader stops at
 * the end of the sync message and ignores the rest, so it still applies the edit (it misses only the
 * cursor, until the next awareness-only message). A reader skips tags it does not know, and any later
 * version keeps the section layout, so an older reader always finds the sections it knows.
 */
export const WIRE_VERSION = 2;

export const MSG_SYNC = 0;
export const MSG_AWARENESS = 1;
export const MSG_HELLO = 2;

export const SECTION_AWARENESS = 1;

export type Sections = { version: number; awareness: Uint8Array | null };

/** An update, with the awareness change that goes with it (if any) in a section after it. */
export function encodeUpdate(update: Uint8Array, awareness: Uint8Array | null): ArrayBuffer {
  return frame(MSG_SYNC, (e) => {
    syncProtocol.writeUpdate(e, update);
    if (awareness) {
      encoding.writeVarUint(e, WIRE_VERSION);
      encoding.writeVarUint(e, SECTION_AWARENESS);
      encoding.writeVarUint8Array(e, awareness);
    }
  });
}

export function encodeAwareness(awareness: Uint8Array): ArrayBuffer {
  return frame(MSG_AWARENESS, (e) => encoding.writeVarUint8Array(e, awareness));
}

/** What follows a sync message (the decoder positioned right after it); null if nothing does. */
export function readSections(dec: decoding.Decoder): Sections | null {
  if (!decoding.hasContent(dec)) return null;
  const version = decoding.readVarUint(dec);
  const out: Sections = { version, awareness: null };
  // Version 1 had nothing here; anything a version-1 sender appended is not ours to read.
  if (version < 2) return out;
  while (decoding.hasContent(dec)) {
    const tag = decoding.readVarUint(dec);
    const body = decoding.readVarUint8Array(dec);
    if (tag === SECTION_AWARENESS) out.awareness = body;
  }
  return out;
}

export function frame(kind: number, write: (e: encoding.Encoder) => void): ArrayBuffer {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, kind);
  write(e);
  return toArrayBuffer(encoding.toUint8Array(e));
}

/** realtime-js sends a payload as binary only if it is an ArrayBuffer (not a view). */
export function toArrayBuffer(u: Uint8Array): ArrayBuffer {
  return u.byteOffset === 0 && u.byteLength === u.buffer.byteLength ? (u.buffer as ArrayBuffer) : (u.slice().buffer as ArrayBuffer);
}

/** `[MSG_SYNC, step2, len 2, 0 structs, 0 deletes]`: a step2 whose update is empty. */
export function isEmptyStep2(m: Uint8Array): boolean {
  return m.length === 5 && m[0] === MSG_SYNC && m[1] === syncProtocol.messageYjsSyncStep2 && m[2] === 2 && m[3] === 0 && m[4] === 0;
}

/** `[step1, len 1, 0 entries]`: the state vector of a document with no structs (hence no deletes either). */
export function isEmptyStep1(m: Uint8Array): boolean {
  return m.length === 3 && m[0] === syncProtocol.messageYjsSyncStep1 && m[1] === 1 && m[2] === 0;
}
