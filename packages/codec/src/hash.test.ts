import { describe, expect, it } from "vitest";
import {
  absoluteHash,
  baseHash,
  canonicalJson,
  CanonicalJsonError,
  hashOf,
  hashToBase64,
  hashToUrlSafe,
  idHash,
  namedUserIdObject,
  parseHash,
  symphonyHash,
  TYPES,
} from "./hash.js";

// Published by Allegro's ToDo example (CreateAPartition.md, CreateAnItem.md): the partition
// "MyCalendar" of user 351775001412007.
const PUBLISHED_PARTITION_HASH = "j/vNnRtcln7uKIixRBWuqCjimkm5VxO4WLYKJVUT00oBAQ==";

describe("canonical JSON", () => {
  it("writes a NamedUserIdObject byte for byte as Allegro does", () => {
    expect(canonicalJson(namedUserIdObject(351775001412007, "MyCalendar"))).toBe(
      '{\n  "_type":"com.symphony.s2.model.object.NamedUserIdObject",\n  "_version":"1.0",\n  "hashType":1,\n  "name":"MyCalendar",\n  "userId":351775001412007\n}\n',
    );
  });

  it("nests objects and arrays the way Allegro prints a Partition and a UserPermissionsRequest", () => {
    const partition = { id: namedUserIdObject(351775001412007, "MyCalendar"), hashType: 1, _version: "1.0", _type: TYPES.partition };
    expect(canonicalJson(partition)).toBe(
      [
        "{",
        '  "_type":"com.symphony.s2.model.object.Partition",',
        '  "_version":"1.0",',
        '  "hashType":1,',
        '  "id":{',
        '    "_type":"com.symphony.s2.model.object.NamedUserIdObject",',
        '    "_version":"1.0",',
        '    "hashType":1,',
        '    "name":"MyCalendar",',
        '    "userId":351775001412007',
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    const permissions = { userId: 1234, permissions: ["READ", "WRITE"], _version: "1.0", _type: TYPES.userPermissionsRequest };
    expect(canonicalJson(permissions)).toBe(
      '{\n  "_type":"com.symphony.s2.model.object.UserPermissionsRequest",\n  "_version":"1.0",\n  "permissions":[\n    "READ",\n    "WRITE"\n  ],\n  "userId":1234\n}\n',
    );
  });

  it("writes empty containers, nulls, booleans, big integers and escapes like Java's serializer", () => {
    expect(canonicalJson({ b: [], a: {}, c: null, d: true, e: 2n ** 62n, f: 'q"\\\n\u0001é', g: undefined })).toBe(
      '{\n  "a":{\n  },\n  "b":[],\n  "c":null,\n  "d":true,\n  "e":4611686018427387904,\n  "f":"q\\"\\\\\\n\\u0001é"\n}\n',
    );
  });

  it("is independent of key order and refuses what Java would write differently", () => {
    expect(canonicalJson({ b: 1, a: [{ y: 1, x: 2 }] })).toBe(canonicalJson({ a: [{ x: 2, y: 1 }], b: 1 }));
    expect(() => canonicalJson({ a: 1.5 })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: 2 ** 60 })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: "\ud800" })).toThrow(CanonicalJsonError);
  });
});

describe("Symphony hash", () => {
  it("reproduces the published partition hash", () => {
    const hash = idHash(namedUserIdObject(351775001412007, "MyCalendar"));
    expect(hashToBase64(hash)).toBe(PUBLISHED_PARTITION_HASH);
  });

  it("is the SHA-256 digest followed by the type id and its length", () => {
    const h = symphonyHash("abc");
    expect(h).toHaveLength(34);
    expect(h.subarray(0, 32).toString("hex")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect([...h.subarray(32)]).toEqual([1, 1]);
  });

  it("parses standard and URL-safe Base64, padded or not, and nothing else", () => {
    const h = parseHash(PUBLISHED_PARTITION_HASH)!;
    expect(hashToBase64(h)).toBe(PUBLISHED_PARTITION_HASH);
    expect(parseHash(hashToUrlSafe(h))).toEqual(h);
    expect(hashToUrlSafe(h)).toBe("j_vNnRtcln7uKIixRBWuqCjimkm5VxO4WLYKJVUT00oBAQ");
    expect(parseHash(`${hashToUrlSafe(h)}==`)).toEqual(h);
    expect(parseHash("AA==")).toBeUndefined();
    expect(parseHash(hashToBase64(Buffer.concat([h.subarray(0, 32), Buffer.from([2, 1])])))).toBeUndefined();
    expect(parseHash(`${PUBLISHED_PARTITION_HASH.slice(0, -3)}!==`)).toBeUndefined();
  });

  it("names the first version of an object by its absolute hash and later ones by their baseHash", () => {
    const first = { _type: TYPES.storedApplicationObject, sortKey: "a", partitionHash: PUBLISHED_PARTITION_HASH };
    expect(absoluteHash(first)).toEqual(hashOf(first));
    expect(baseHash(first)).toEqual(absoluteHash(first));
    const second = { ...first, baseHash: hashToBase64(absoluteHash(first)), prevHash: hashToBase64(absoluteHash(first)) };
    expect(baseHash(second)).toEqual(absoluteHash(first));
    expect(() => baseHash({ ...first, baseHash: "nope" })).toThrow(CanonicalJsonError);
  });
});
