import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";

/**
 * A software WebAuthn authenticator (what navigator.credentials.create/get do with a security key):
 * an ES256 key pair, "none" attestation, a signature counter. Tests drive the real Auth endpoints
 * with it, as a browser with a passkey would.
 */
type Cbor = number | string | Uint8Array | Map<number | string, Cbor>;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  const b = Buffer.alloc(3);
  b[0] = (major << 5) | 25;
  b.writeUInt16BE(n, 1);
  return b;
}

function cbor(v: Cbor): Buffer {
  if (typeof v === "number") return v >= 0 ? head(0, v) : head(1, -v - 1);
  if (typeof v === "string") return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), Buffer.from(v)]);
  return Buffer.concat([head(5, v.size), ...[...v.entries()].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

export type CreationOptions = { challenge: string; user: { id: string }; rp?: { id?: string } };
export type RequestOptions = { challenge: string };

export class SoftwareAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly privateKey: KeyObject;
  private readonly cosePublicKey: Buffer;
  private userHandle: Buffer | null = null;
  private counter = 0;

  constructor(readonly rpId: string, readonly origin: string) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: "jwk" });
    this.cosePublicKey = cbor(new Map<number, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, "base64url")], [-3, Buffer.from(jwk.y!, "base64url")]]));
  }

  get id(): string {
    return this.credentialId.toString("base64url");
  }

  private clientData(type: "webauthn.create" | "webauthn.get", challenge: string, origin = this.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create(); `tamper` lets an attack change what is sent. */
  create(options: CreationOptions, tamper: { origin?: string } = {}) {
    this.userHandle = Buffer.from(options.user.id, "base64url");
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      createHash("sha256").update(this.rpId).digest(),
      Buffer.from([0x01 | 0x04 | 0x40]), // user present, user verified, attested credential data
      Buffer.alloc(4),
      Buffer.alloc(16),
      idLength,
      this.credentialId,
      this.cosePublicKey,
    ]);
    const attestationObject = cbor(new Map<string, Cbor>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key" as const,
      response: { attestationObject: attestationObject.toString("base64url"), clientDataJSON: this.clientData("webauthn.create", options.challenge, tamper.origin).toString("base64url"), transports: ["usb"] },
      clientExtensionResults: {},
      authenticatorAttachment: "cross-platform" as const,
    };
  }

  /** navigator.credentials.get(). */
  get(options: RequestOptions) {
    if (!this.userHandle) throw new Error("create() first");
    this.counter += 1;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(this.counter);
    const authenticatorData = Buffer.concat([createHash("sha256").update(this.rpId).digest(), Buffer.from([0x01 | 0x04]), count]);
    const clientData = this.clientData("webauthn.get", options.challenge);
    const signature = createSign("SHA256").update(Buffer.concat([authenticatorData, createHash("sha256").update(clientData).digest()])).sign(this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key" as const,
      response: {
        authenticatorData: authenticatorData.toString("base64url"),
        clientDataJSON: clientData.toString("base64url"),
        signature: signature.toString("base64url"),
        userHandle: this.userHandle.toString("base64url"),
      },
      clientExtensionResults: {},
      authenticatorAttachment: "cross-platform" as const,
    };
  }

  /** Claims a user handle it was never registered for (an attacker's authenticator). */
  impersonate(userId: string): void {
    this.userHandle = Buffer.from(userId);
  }
}
