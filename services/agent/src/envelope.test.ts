import { randomBytes } from "node:crypto";
import { DecryptionError, newSymphonyId } from "@symphony/kit";
import { describe, expect, it } from "vitest";
import { decryptFormAction, decryptMessage, encryptFormAction, encryptMessage, envelopeRotation } from "./envelope.js";

const key = { rotationId: 7, key: randomBytes(32) };
const stream = newSymphonyId();
const message = newSymphonyId();
const content = { presentationMl: '<div data-format="PresentationML" data-version="2.0">secret</div>', entityJson: "{}" };

describe("message envelope", () => {
  it("round-trips and records its rotation", () => {
    const env = encryptMessage(key, stream, message, content);
    expect(envelopeRotation(env)).toBe(7);
    expect(decryptMessage(key, stream, message, env)).toEqual(content);
    expect(env.includes(Buffer.from("secret"))).toBe(false);
  });

  it("uses a fresh IV each time", () => {
    expect(encryptMessage(key, stream, message, content).equals(encryptMessage(key, stream, message, content))).toBe(false);
  });

  it("detects a flipped bit anywhere in the ciphertext or tag", () => {
    const env = encryptMessage(key, stream, message, content);
    for (const at of [5, 10, 20, env.length - 1]) {
      const tampered = Buffer.from(env);
      tampered[at]! ^= 0x01;
      expect(() => decryptMessage(key, stream, message, tampered)).toThrow(DecryptionError);
    }
  });

  it("detects ciphertext moved onto another message or stream", () => {
    const env = encryptMessage(key, stream, message, content);
    expect(() => decryptMessage(key, stream, newSymphonyId(), env)).toThrow(DecryptionError);
    expect(() => decryptMessage(key, newSymphonyId(), message, env)).toThrow(DecryptionError);
  });

  it("detects a rotation id swapped in the header or a wrong key", () => {
    const env = encryptMessage(key, stream, message, content);
    expect(() => decryptMessage({ ...key, rotationId: 8 }, stream, message, env)).toThrow(DecryptionError);
    expect(() => decryptMessage({ rotationId: 7, key: randomBytes(32) }, stream, message, env)).toThrow(DecryptionError);
  });

  it("rejects what is not an envelope", () => {
    expect(envelopeRotation(Buffer.from([9, 0, 0, 0, 1]))).toBeUndefined();
    expect(envelopeRotation(Buffer.alloc(2))).toBeUndefined();
  });
});

describe("form answer envelope", () => {
  const answer = { formId: "order", formValues: { action: "submit", quantity: "secret-42" } };

  it("round-trips with the stream key and hides the values", () => {
    const env = encryptFormAction(key, stream, message, answer);
    expect(envelopeRotation(env)).toBe(7);
    expect(decryptFormAction(key, stream, message, env)).toEqual(answer);
    expect(env.includes(Buffer.from("secret-42"))).toBe(false);
  });

  it("never opens as a message, nor a message as a form answer", () => {
    expect(() => decryptMessage(key, stream, message, encryptFormAction(key, stream, message, answer))).toThrow(DecryptionError);
    expect(() => decryptFormAction(key, stream, message, encryptMessage(key, stream, message, content))).toThrow(DecryptionError);
  });

  it("detects an answer moved onto another id or stream", () => {
    const env = encryptFormAction(key, stream, message, answer);
    expect(() => decryptFormAction(key, stream, newSymphonyId(), env)).toThrow(DecryptionError);
    expect(() => decryptFormAction(key, newSymphonyId(), message, env)).toThrow(DecryptionError);
  });
});
