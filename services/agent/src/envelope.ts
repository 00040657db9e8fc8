import { idBytes, open, seal } from "@symphony/kit";
import { MessageContent } from "@symphony/proto/agent/v1/model";

// Message envelope: version(1) | rotationId(4, big-endian) | iv(12) | ciphertext | tag(16).
// The additional data binds stream, message and rotation, so ciphertext moved onto another
// message or stream fails authentication instead of showing the wrong content.
const VERSION = 1;
const HEADER = 5;

export interface EnvelopeKey {
  rotationId: number;
  key: Uint8Array;
}

function additionalData(streamId: string, messageId: string, rotationId: number): Buffer {
  const aad = Buffer.alloc(1 + 25 + 25 + 4);
  aad[0] = VERSION;
  idBytes(streamId).copy(aad, 1);
  idBytes(messageId).copy(aad, 26);
  aad.writeUInt32BE(rotationId, 51);
  return aad;
}

export function encryptMessage(k: EnvelopeKey, streamId: string, messageId: string, content: MessageContent): Buffer {
  const header = Buffer.alloc(HEADER);
  header[0] = VERSION;
  header.writeUInt32BE(k.rotationId, 1);
  const plaintext = MessageContent.encode(content).finish();
  return Buffer.concat([header, seal(k.key, plaintext, additionalData(streamId, messageId, k.rotationId))]);
}

/** The rotation whose key opens this envelope, or undefined if it is not an envelope we know. */
export function envelopeRotation(envelope: Uint8Array): number | undefined {
  if (envelope.length < HEADER || envelope[0] !== VERSION) return undefined;
  return Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength).readUInt32BE(1);
}

/** Throws DecryptionError when the envelope was altered, moved or opened with the wrong key. */
export function decryptMessage(k: EnvelopeKey, streamId: string, messageId: string, envelope: Uint8Array): MessageContent {
  const body = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength).subarray(HEADER);
  return MessageContent.decode(open(k.key, body, additionalData(streamId, messageId, k.rotationId)));
}
