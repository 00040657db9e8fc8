import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DecryptionError } from "../errors.js";
import { openPayload, payloadRotation, sealPayload, type PayloadBinding } from "./envelope.js";
import { canonicalJson, hashToBase64, idHash, namedUserIdObject } from "@symphony/codec";

const key = { rotationId: 7, key: randomBytes(32) };
const binding: PayloadBinding = {
  threadId: "7X1cP_3wMD4mr6rcp7j26X___oh4uDkVdA",
  partitionHash: hashToBase64(idHash(namedUserIdObject(42, "state"))),
  sortKey: "item-0001",
};
const plaintext = Buffer.from(canonicalJson({ _type: "com.example.State", _version: "1.0", counter: 12, note: "secret état" }));

describe("object payload envelope", () => {
  it("round-trips in Allegro's layout iv(16) | aad(16) | ciphertext | tag(16), the aad holding version and rotation", () => {
    const blob = sealPayload(key, binding, plaintext);
    expect(blob.length).toBe(16 + 16 + plaintext.length + 16);
    expect([...blob.subarray(16, 32)]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
    expect(payloadRotation(blob)).toBe(7);
    expect(blob.includes(plaintext)).toBe(false);
    expect(openPayload(key, binding, blob).equals(plaintext)).toBe(true);
  });

  it("uses a fresh IV each time, so equal payloads do not look equal", () => {
    expect(sealPayload(key, binding, plaintext).equals(sealPayload(key, binding, plaintext))).toBe(false);
  });

  it("refuses a payload moved to another thread, partition or sort key", () => {
    const blob = sealPayload(key, binding, plaintext);
    for (const moved of [
      { ...binding, threadId: "XlU3OH9eVMzq-yss7M_xyn___oxwgbtGbQ" },
      { ...binding, partitionHash: hashToBase64(idHash(namedUserIdObject(42, "other"))) },
      { ...binding, sortKey: "item-0002" },
    ]) {
      expect(() => openPayload(key, moved, blob)).toThrow(DecryptionError);
    }
  });

  it("refuses every altered byte, a relabelled rotation, a wrong key and what is not a blob", () => {
    const blob = sealPayload(key, binding, plaintext);
    for (let i = 0; i < blob.length; i++) {
      const altered = Buffer.from(blob);
      altered[i]! ^= 0x01;
      expect(() => openPayload(key, binding, altered), `byte ${i}`).toThrow(DecryptionError);
    }
    const relabelled = Buffer.from(blob);
    relabelled.writeBigUInt64BE(8n, 17);
    expect(() => openPayload({ ...key, rotationId: 8 }, binding, relabelled)).toThrow(DecryptionError);
    expect(() => openPayload({ rotationId: 7, key: randomBytes(32) }, binding, blob)).toThrow(DecryptionError);
    expect(() => openPayload(key, binding, blob.subarray(0, 20))).toThrow(DecryptionError);
    expect(() => payloadRotation(Buffer.alloc(60))).toThrow(DecryptionError);
  });

  it("seals an empty payload too", () => {
    expect(openPayload(key, binding, sealPayload(key, binding, Buffer.alloc(0))).length).toBe(0);
  });
});
