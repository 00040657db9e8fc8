import { createHash } from "node:crypto";

// Allegro identifies objects by the Symphony Hash of their canonical JSON (oss-commons `Hash`
// and the canonical DomSerializer). Client and server must produce the same bytes, so both
// use this one module: the SDK to name what it stores, the object store to check it.

/** A JSON value as Allegro objects hold it. int64 values beyond 2^53 travel as bigint. */
export type CanonicalValue = string | number | bigint | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue | undefined };

export class CanonicalJsonError extends Error {}

/** Hash type 1: SHA-256, the default of Allegro (type 2 is legacy, type 0 the nil hash). */
export const SHA256_HASH_TYPE = 1;
const SHA256_SUFFIX = Buffer.from([SHA256_HASH_TYPE, 1]);
/** 32 digest bytes, the type id byte and the length of the type id. */
export const HASH_BYTES = 34;

// Lone UTF-16 surrogates have no UTF-8 form: Java would write "?" where JSON.stringify writes "\udxxx".
const LONE_SURROGATE = /\p{Cs}/u;

function scalar(value: string | number | bigint | boolean | null): string {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    // Java writes doubles its own way ("1.0E10"); Allegro's models only hold integers.
    if (!Number.isSafeInteger(value)) throw new CanonicalJsonError(`${value} is not an integer canonical JSON can carry`);
    return String(value);
  }
  if (LONE_SURROGATE.test(value)) throw new CanonicalJsonError("A string holds a lone UTF-16 surrogate");
  // JSON.stringify escapes exactly what Java's JsonString.quote does: \\ \" \b \f \n \r \t and \u00xx below 0x20.
  return JSON.stringify(value);
}

function emit(value: CanonicalValue, indent: string, lead: string, terminator: string, lines: string[], depth: number): void {
  if (depth > 64) throw new CanonicalJsonError("The JSON nests too deeply");
  if (Array.isArray(value)) {
    if (value.length === 0) {
      lines.push(`${indent}${lead}[]${terminator}`);
      return;
    }
    lines.push(`${indent}${lead}[`);
    value.forEach((item, i) => emit(item, `${indent}  `, "", i < value.length - 1 ? "," : "", lines, depth + 1));
    lines.push(`${indent}]${terminator}`);
    return;
  }
  if (typeof value === "object" && value !== null) {
    // Java's TreeSet order: UTF-16 code units, which is also what Array.prototype.sort compares.
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    lines.push(`${indent}${lead}{`);
    keys.forEach((k, i) => emit(value[k]!, `${indent}  `, `${scalar(k)}:`, i < keys.length - 1 ? "," : "", lines, depth + 1));
    lines.push(`${indent}}${terminator}`);
    return;
  }
  lines.push(`${indent}${lead}${scalar(value)}${terminator}`);
}

/**
 * Allegro's canonical JSON: keys sorted, one member per line, two-space indentation, `"key":value`
 * with no space, `[]` for an empty array, and a trailing newline. Members that are undefined are left out.
 */
export function canonicalJson(value: CanonicalValue): string {
  const lines: string[] = [];
  emit(value, "", "", "", lines, 0);
  return `${lines.join("\n")}\n`;
}

/** The Symphony Hash (type 1) of some bytes: SHA-256 digest, then 0x01 0x01. */
export function symphonyHash(data: Uint8Array | string): Buffer {
  return Buffer.concat([createHash("sha256").update(data).digest(), SHA256_SUFFIX]);
}

/** The Symphony Hash of a value's canonical JSON (UTF-8). */
export function hashOf(value: CanonicalValue): Buffer {
  return symphonyHash(canonicalJson(value));
}

/** Standard Base64, as hashes appear inside JSON documents. */
export const hashToBase64 = (hash: Uint8Array) => Buffer.from(hash).toString("base64");

/** URL-safe Base64 without padding, as hashes appear in URL paths. */
export const hashToUrlSafe = (hash: Uint8Array) => Buffer.from(hash).toString("base64url");

/**
 * Reads a type-1 hash written in standard or URL-safe Base64, padded or not (Allegro accepts
 * both); undefined when the text is not exactly such a hash.
 */
export function parseHash(text: string): Buffer | undefined {
  if (text.length < 45 || text.length > 48 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""), "base64url");
  if (bytes.length !== HASH_BYTES || !bytes.subarray(32).equals(SHA256_SUFFIX)) return undefined;
  return bytes.toString("base64url") === text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") ? bytes : undefined;
}

/** The absoluteHash of a stored object (or any SystemObject): the hash of its own canonical JSON. */
export const absoluteHash = (object: { [key: string]: CanonicalValue | undefined }) => hashOf(object);

/**
 * The baseHash of a stored object: its `baseHash` field, or, on the first version (which
 * has none), its own absoluteHash.
 */
export function baseHash(object: { [key: string]: CanonicalValue | undefined }): Buffer {
  const declared = object["baseHash"];
  if (typeof declared === "string") {
    const parsed = parseHash(declared);
    if (!parsed) throw new CanonicalJsonError("baseHash is not a hash");
    return parsed;
  }
  return absoluteHash(object);
}

export const OBJECT_MODEL = "com.symphony.s2.model.object";
export const MODEL_VERSION = "1.0";

export const TYPES = {
  namedUserIdObject: `${OBJECT_MODEL}.NamedUserIdObject`,
  storedApplicationObject: `${OBJECT_MODEL}.StoredApplicationObject`,
  deletedApplicationObject: `${OBJECT_MODEL}.DeletedApplicationObject`,
  partition: `${OBJECT_MODEL}.Partition`,
  feed: `${OBJECT_MODEL}.Feed`,
  userPermissionsRequest: `${OBJECT_MODEL}.UserPermissionsRequest`,
} as const;

/** The ID object of a partition or a feed: a name owned by a user. */
export function namedUserIdObject(userId: number | bigint, name: string) {
  return { _type: TYPES.namedUserIdObject, _version: MODEL_VERSION, hashType: SHA256_HASH_TYPE, name, userId };
}

/**
 * The hash that names a partition (its "partition key") or a feed: the hash of its ID object,
 * whatever attributes an application put in it.
 */
export const idHash = (id: { [key: string]: CanonicalValue | undefined }) => hashOf(id);
