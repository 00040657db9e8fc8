import { randomBytes } from "node:crypto";
import { HTTP_STATUS, newSymphonyId, status } from "@symphony/kit";
import { absoluteHash, canonicalJson, hashToBase64, idHash, namedUserIdObject, TYPES } from "@symphony/codec";
import { describe, expect, it } from "vitest";
import { MAX_OBJECT_BYTES, parseIdObject, parseObject, validSortKey } from "./objects.js";

const streamId = newSymphonyId();
const partitionHash = hashToBase64(idHash(namedUserIdObject(5, "p")));
const first = {
  _type: TYPES.storedApplicationObject,
  _version: "1.0",
  cipherSuiteId: "RSA2048_AES256",
  createdDate: "2020-06-09T07:27:37.120Z",
  encryptedPayload: randomBytes(60).toString("base64"),
  hashType: 1,
  header: { _type: "com.example.Header", effectiveDate: "2020-06-09T07:27:37.120Z" },
  owner: 5,
  partitionHash,
  rotationId: 0,
  sortKey: "item",
  // Allegro clients send thread ids in standard Base64.
  threadId: Buffer.from(streamId, "base64url").toString("base64"),
};

const refusal = (o: unknown) => {
  try {
    parseObject(o);
  } catch (err) {
    return err as { code: number; message: string; metadata: { get(k: string): unknown[] } };
  }
  throw new Error("accepted");
};

describe("stored objects", () => {
  it("keep the canonical JSON their hash covers and the positional fields the server indexes", () => {
    const parsed = parseObject(first);
    expect(parsed.document).toBe(canonicalJson(first));
    expect(parsed.absoluteHash).toEqual(absoluteHash(first));
    expect(parsed.baseHash).toEqual(parsed.absoluteHash);
    expect(parsed).toMatchObject({ sortKey: "item", prevSortKey: "item", owner: 5, threadId: streamId, prevHash: undefined, deletion: undefined });
    expect(parsed.partitionHash).toEqual(idHash(namedUserIdObject(5, "p")));
  });

  it("name the version they replace and may move to a new sort key", () => {
    const base = hashToBase64(absoluteHash(first));
    const update = parseObject({ ...first, baseHash: base, prevHash: base, prevSortKey: "item", sortKey: "moved", purgeDate: "2030-01-01T00:00:00Z" });
    expect(update).toMatchObject({ sortKey: "moved", prevSortKey: "item", purgeAt: Date.parse("2030-01-01T00:00:00Z") });
    expect(update.baseHash).toEqual(absoluteHash(first));
    expect(refusal({ ...first, prevHash: base }).message).toMatch(/baseHash and prevHash/);
    expect(refusal({ ...first, prevSortKey: "x" }).message).toMatch(/prevSortKey/);
  });

  it("are tombstones only with a deletion type and the version they delete", () => {
    const base = hashToBase64(absoluteHash(first));
    const tombstone = { _type: TYPES.deletedApplicationObject, baseHash: base, prevHash: base, deletionType: "LOGICAL", owner: 5, partitionHash, sortKey: "item" };
    expect(parseObject(tombstone)).toMatchObject({ deletion: "LOGICAL", threadId: undefined });
    expect(refusal({ ...tombstone, deletionType: "SOFT" }).code).toBe(status.INVALID_ARGUMENT);
    expect(refusal({ ...tombstone, baseHash: undefined, prevHash: undefined }).message).toMatch(/deletion names the version/);
    expect(refusal({ ...tombstone, encryptedPayload: first.encryptedPayload }).message).toMatch(/no field encryptedPayload/);
  });

  it("hold nothing in clear but the model's fields and the header, and real-looking ciphertext", () => {
    for (const bad of [
      { ...first, title: "plaintext" },
      { ...first, encryptedPayload: "not base64!" },
      { ...first, encryptedPayload: randomBytes(47).toString("base64") },
      { ...first, cipherSuiteId: undefined },
      { ...first, threadId: undefined },
      { ...first, rotationId: -1 },
      { ...first, header: [1] },
      { ...first, owner: "5" },
      { ...first, _version: "2.0" },
      { ...first, hashType: 2 },
      { ...first, createdDate: "2020-06-09" },
      { ...first, sortKey: "" },
      { ...first, sortKey: "a=b" },
      { ...first, sortKey: "line\nbreak" },
      { ...first, rotationId: 0.5 },
      [first],
      "object",
      undefined,
    ]) {
      expect(refusal(bad).code).toBe(status.INVALID_ARGUMENT);
    }
    const headerOnly = { ...first, encryptedPayload: undefined, cipherSuiteId: undefined, rotationId: undefined };
    expect(parseObject(headerOnly).threadId).toBe(streamId);
    expect(refusal({ ...headerOnly, rotationId: 0 }).message).toMatch(/encryptedPayload, which is missing/);
  });

  it("are refused with 413 beyond their size limit", () => {
    const err = refusal({ ...first, encryptedPayload: randomBytes(MAX_OBJECT_BYTES).toString("base64") });
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.metadata.get(HTTP_STATUS)).toEqual(["413"]);
    expect(refusal({ ...first, header: { big: "x".repeat(20_000) } }).metadata.get(HTTP_STATUS)).toEqual(["413"]);
  });
});

describe("ID objects and sort keys", () => {
  it("name partitions and feeds by the hash of whatever attributes they hold", () => {
    const id = { ...namedUserIdObject(5, "cal"), colour: "blue" };
    expect(parseIdObject(id, "partitionId")).toEqual({ hash: idHash(id), document: canonicalJson(id), userId: 5 });
    expect(() => parseIdObject({ name: "no owner" }, "partitionId")).toThrow(/userId/);
    expect(() => parseIdObject({ ...id, hashType: 2 }, "partitionId")).toThrow(/hashType/);
  });

  it("follow Allegro's SortKey rule", () => {
    expect(validSortKey("2020-06-09T07:27:37Z item:1 é")).toBe(true);
    for (const c of ["#", "/", "&", "$", "+", ",", ";", "="]) expect(validSortKey(`a${c}b`)).toBe(false);
    expect(validSortKey("x".repeat(1025))).toBe(false);
  });
});
