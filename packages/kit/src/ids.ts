import { randomBytes } from "node:crypto";
import { invalidArgument } from "./errors.js";

// Symphony stream and message ids: 25 bytes = 16 random bytes, the big-endian int64
// (Long.MAX_VALUE - creation time in ms), and the tag byte 't'; shown URL-safe base64 unpadded.
const MAX_LONG = 0x7fffffffffffffffn;
const ID_BYTES = 25;

export function newSymphonyId(nowMs = Date.now()): string {
  const bytes = Buffer.alloc(ID_BYTES);
  randomBytes(16).copy(bytes, 0);
  bytes.writeBigInt64BE(MAX_LONG - BigInt(nowMs), 16);
  bytes[24] = 0x74;
  return bytes.toString("base64url");
}

/**
 * Accepts the URL-safe and the standard base64 form (clients send both) and returns the
 * canonical URL-safe form, or undefined when the text is not a 25-byte id.
 */
export function normalizeSymphonyId(id: string): string | undefined {
  if (id.length !== 34 && id.length !== 36) return undefined;
  const urlSafe = id.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  if (!/^[A-Za-z0-9_-]{34}$/.test(urlSafe)) return undefined;
  const bytes = Buffer.from(urlSafe, "base64url");
  return bytes.length === ID_BYTES && bytes.toString("base64url") === urlSafe ? urlSafe : undefined;
}

export function idBytes(id: string): Buffer {
  return Buffer.from(id, "base64url");
}

/** Creation time encoded in an id made by newSymphonyId. */
export function symphonyIdTime(id: string): number {
  return Number(MAX_LONG - idBytes(id).readBigInt64BE(16));
}

/** The canonical form of a stream id from a request, or INVALID_ARGUMENT "Invalid stream id". */
export function requireStreamId(raw: string): string {
  const id = normalizeSymphonyId(raw);
  if (!id) throw invalidArgument("Invalid stream id");
  return id;
}
