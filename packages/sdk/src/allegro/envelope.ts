import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DecryptionError } from "../errors.js";
import { canonicalJson } from "@symphony/codec";

// The encryptedPayload blob keeps Allegro's RSA2048_AES256 layout, AES-256-GCM with a 16-byte IV:
//   iv(16) | aad(16) | ciphertext | tag(16)
// Allegro fills the 16 AAD bytes at random, so they bind nothing. Ours are
//   version(1) = 1 | rotationId(8, big-endian) | zero(7)
// and the GCM additional data is those 16 bytes followed by the canonical JSON of where the
// object claims to be (thread, rotation, partition, sort key). A payload moved onto another
// object, partition or thread, or relabelled with another rotation, fails authentication.
const VERSION = 1;
const IV = 16;
const AAD = 16;
const TAG = 16;

/** The cipher suite the object store knows; the content key is AES-256, released wrapped with RSA-OAEP-256. */
export const CIPHER_SUITE = "RSA2048_AES256";

/** Where an encrypted payload belongs; these fields are plaintext on the object and bound to its ciphertext. */
export interface PayloadBinding {
  threadId: string;
  partitionHash: string;
  sortKey: string;
}

export interface ContentKey {
  rotationId: number;
  key: Uint8Array;
}

function aadSlot(rotationId: number): Buffer {
  const slot = Buffer.alloc(AAD);
  slot[0] = VERSION;
  slot.writeBigUInt64BE(BigInt(rotationId), 1);
  return slot;
}

function additionalData(slot: Buffer, binding: PayloadBinding, rotationId: number): Buffer {
  const { threadId, partitionHash, sortKey } = binding;
  return Buffer.concat([slot, Buffer.from(canonicalJson({ cipherSuiteId: CIPHER_SUITE, threadId, rotationId, partitionHash, sortKey }))]);
}

/** Encrypts a payload's bytes for one object. */
export function sealPayload(k: ContentKey, binding: PayloadBinding, plaintext: Uint8Array): Buffer {
  const iv = randomBytes(IV);
  const slot = aadSlot(k.rotationId);
  const cipher = createCipheriv("aes-256-gcm", k.key, iv);
  cipher.setAAD(additionalData(slot, binding, k.rotationId));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, slot, body, cipher.getAuthTag()]);
}

/** The key rotation a blob was sealed with; throws DecryptionError when it is not a blob of ours. */
export function payloadRotation(blob: Uint8Array): number {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length < IV + AAD + TAG || buf[IV] !== VERSION) throw new DecryptionError("Not an encrypted payload this SDK can open");
  const rotation = buf.readBigUInt64BE(IV + 1);
  if (rotation > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecryptionError("Not an encrypted payload this SDK can open");
  return Number(rotation);
}

/** Throws DecryptionError when the blob was altered, moved, or the key is not the one it was sealed with. */
export function openPayload(k: ContentKey, binding: PayloadBinding, blob: Uint8Array): Buffer {
  if (payloadRotation(blob) !== k.rotationId) throw new DecryptionError("The payload was sealed with another key rotation");
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  try {
    const decipher = createDecipheriv("aes-256-gcm", k.key, buf.subarray(0, IV));
    decipher.setAAD(additionalData(buf.subarray(IV, IV + AAD), binding, k.rotationId));
    decipher.setAuthTag(buf.subarray(buf.length - TAG));
    return Buffer.concat([decipher.update(buf.subarray(IV + AAD, buf.length - TAG)), decipher.final()]);
  } catch {
    throw new DecryptionError("The payload failed authentication: altered, moved to another object, or a wrong key");
  }
}
