import { idBytes, open, seal } from "@symphony/kit";
import { FormActionContent, MessageContent } from "@symphony/proto/agent/v1/model";

// Envelope: version(1) | rotationId(4, big-endian) | iv(12) | ciphertext | tag(16).
// The additional data binds what the envelope holds, its stream, its id and its rotation, so
// ciphertext moved onto another message, stream or kind of content fails authentication
// instead of showing the wrong content.
const VERSION = 1;
const HEADER = 5;

// The first byte of the additional data. Messages keep the envelope version there, as
// envelopes written before form answers existed do.
const MESSAGE = VERSION;
const FORM_ACTION = 2;

export interface EnvelopeKey {
  rotationId: number;
  key: Uint8Array;
}

function additionalData(kind: number, streamId: string, id: string, rotationId: number): Buffer {
  const aad = Buffer.alloc(1 + 25 + 25 + 4);
  aad[0] = kind;
  idBytes(streamId).copy(aad, 1);
  idBytes(id).copy(aad, 26);
  aad.writeUInt32BE(rotationId, 51);
  return aad;
}

function sealEnvelope(k: EnvelopeKey, kind: number, streamId: string, id: string, plaintext: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER);
  header[0] = VERSION;
  header.writeUInt32BE(k.rotationId, 1);
  return Buffer.concat([header, seal(k.key, plaintext, additionalData(kind, streamId, id, k.rotationId))]);
}

function openEnvelope(k: EnvelopeKey, kind: number, streamId: string, id: string, envelope: Uint8Array): Buffer {
  const body = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength).subarray(HEADER);
  return open(k.key, body, additionalData(kind, streamId, id, k.rotationId));
}

export function encryptMessage(k: EnvelopeKey, streamId: string, messageId: string, content: MessageContent): Buffer {
  return sealEnvelope(k, MESSAGE, streamId, messageId, MessageContent.encode(content).finish());
}

/** Throws DecryptionError when the envelope was altered, moved or opened with the wrong key. */
export function decryptMessage(k: EnvelopeKey, streamId: string, messageId: string, envelope: Uint8Array): MessageContent {
  return MessageContent.decode(openEnvelope(k, MESSAGE, streamId, messageId, envelope));
}

export function encryptFormAction(k: EnvelopeKey, streamId: string, actionId: string, content: FormActionContent): Buffer {
  return sealEnvelope(k, FORM_ACTION, streamId, actionId, FormActionContent.encode(content).finish());
}

/** Throws DecryptionError like decryptMessage, and for a message envelope presented as a form answer. */
export function decryptFormAction(k: EnvelopeKey, streamId: string, actionId: string, envelope: Uint8Array): FormActionContent {
  return FormActionContent.decode(openEnvelope(k, FORM_ACTION, streamId, actionId, envelope));
}

/** The rotation whose key opens this envelope, or undefined if it is not an envelope we know. */
export function envelopeRotation(envelope: Uint8Array): number | undefined {
  if (envelope.length < HEADER || envelope[0] !== VERSION) return undefined;
  return Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength).readUInt32BE(1);
}
