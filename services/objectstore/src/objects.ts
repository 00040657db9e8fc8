import { invalidArgument, normalizeSymphonyId } from "@symphony/kit";
import { canonicalJson, CanonicalJsonError, parseHash, SHA256_HASH_TYPE, symphonyHash, TYPES, type CanonicalValue } from "@symphony/codec";
import { tooLarge } from "./errors.js";

// What the object store accepts: Allegro's StoredApplicationObject and DeletedApplicationObject
// with their plaintext positional fields, an application header and an opaque ciphertext. The
// server keeps the canonical JSON it hashed, byte for byte.

export const MAX_OBJECT_BYTES = 256 * 1024;
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_ID_BYTES = 4 * 1024;
const MAX_SORT_KEY = 1024;
// IV (16) | AAD (16) | ciphertext | tag (16): the RSA2048_AES256 layout of Allegro payloads.
const MIN_PAYLOAD_BYTES = 48;
const CIPHER_SUITE = "RSA2048_AES256";

const POSITIONAL = ["_type", "_version", "hashType", "partitionHash", "sortKey", "owner", "createdDate", "purgeDate", "baseHash", "prevHash", "prevSortKey"];
const ALLOWED = {
  [TYPES.storedApplicationObject]: new Set([...POSITIONAL, "header", "encryptedPayload", "cipherSuiteId", "threadId", "rotationId"]),
  [TYPES.deletedApplicationObject]: new Set([...POSITIONAL, "deletionType"]),
};

type DeletionType = "LOGICAL" | "PHYSICAL";

export interface ParsedObject {
  document: string;
  absoluteHash: Buffer;
  /** Equal to absoluteHash on a first version. */
  baseHash: Buffer;
  /** Present on every version but the first: the version it replaces. */
  prevHash?: Buffer;
  prevSortKey: string;
  partitionHash: Buffer;
  sortKey: string;
  owner: number;
  /** The canonical (URL-safe) stream id of the object's thread. */
  threadId?: string;
  purgeAt?: number;
  deletion?: DeletionType;
}

type Json = { [key: string]: CanonicalValue | undefined };

const isPlainObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Canonical JSON of a request value, or a 400 naming what is wrong with it. */
function canonical(value: Json, what: string): string {
  try {
    return canonicalJson(value);
  } catch (err) {
    if (err instanceof CanonicalJsonError) throw invalidArgument(`${what}: ${err.message}`);
    throw err;
  }
}

/** Allegro's SortKey rule: any text but the characters # / & $ + , ; = */
export function validSortKey(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_SORT_KEY && !/[#/&$+,;=\p{Cc}]/u.test(value);
}

export function requireSortKey(value: unknown, field: string): string {
  if (!validSortKey(value)) throw invalidArgument(`${field} must be 1 to ${MAX_SORT_KEY} characters, none of # / & $ + , ; = or control characters`);
  return value;
}

export function requireHash(value: unknown, field: string): Buffer {
  const hash = typeof value === "string" ? parseHash(value) : undefined;
  if (!hash) throw invalidArgument(`${field} must be a Symphony hash (Base64 of 34 bytes, type 1)`);
  return hash;
}

function optionalInstant(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === "string" && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw invalidArgument(`${field} must be an ISO-8601 instant such as 2020-06-09T07:27:37.120Z`);
  return ms;
}

function validateCiphertext(o: Json): string | undefined {
  const { encryptedPayload, cipherSuiteId, threadId, rotationId } = o;
  const thread = threadId === undefined ? undefined : typeof threadId === "string" ? normalizeSymphonyId(threadId) : undefined;
  if (threadId !== undefined && !thread) throw invalidArgument("threadId must be a stream id");
  if (encryptedPayload === undefined) {
    if (cipherSuiteId !== undefined || rotationId !== undefined) throw invalidArgument("cipherSuiteId and rotationId describe an encryptedPayload, which is missing");
    return thread;
  }
  const bytes = typeof encryptedPayload === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(encryptedPayload) ? Buffer.from(encryptedPayload, "base64") : undefined;
  if (!bytes || bytes.length < MIN_PAYLOAD_BYTES) throw invalidArgument(`encryptedPayload must be Base64 ciphertext of at least ${MIN_PAYLOAD_BYTES} bytes`);
  if (cipherSuiteId !== CIPHER_SUITE) throw invalidArgument(`cipherSuiteId must be ${CIPHER_SUITE}`);
  if (!thread) throw invalidArgument("threadId is required with an encryptedPayload");
  if (typeof rotationId !== "number" || !Number.isSafeInteger(rotationId) || rotationId < 0) throw invalidArgument("rotationId must be a non-negative integer");
  return thread;
}

/** Checks one object of a store request; the caller checks ownership and access. */
export function parseObject(raw: unknown): ParsedObject {
  if (!isPlainObject(raw)) throw invalidArgument("The body must be a StoredApplicationObject or a DeletedApplicationObject");
  const o = raw;
  const type = o["_type"];
  const allowed = typeof type === "string" ? ALLOWED[type as keyof typeof ALLOWED] : undefined;
  if (!allowed) throw invalidArgument(`_type must be ${TYPES.storedApplicationObject} or ${TYPES.deletedApplicationObject}`);
  const unknown = Object.keys(o).find((k) => !allowed.has(k) && o[k] !== undefined);
  if (unknown) throw invalidArgument(`${type} has no field ${unknown.slice(0, 64)}`);
  if (o["_version"] !== undefined && o["_version"] !== "1.0") throw invalidArgument("_version must be 1.0");
  if (o["hashType"] !== undefined && o["hashType"] !== SHA256_HASH_TYPE) throw invalidArgument("hashType must be 1");

  const document = canonical(o, "The object");
  if (Buffer.byteLength(document) > MAX_OBJECT_BYTES) throw tooLarge("The object", MAX_OBJECT_BYTES);
  if (o["header"] !== undefined) {
    if (!isPlainObject(o["header"])) throw invalidArgument("header must be an object");
    if (Buffer.byteLength(canonical(o["header"], "header")) > MAX_HEADER_BYTES) throw tooLarge("The header", MAX_HEADER_BYTES);
  }

  const owner = o["owner"];
  if (typeof owner !== "number" || !Number.isSafeInteger(owner) || owner <= 0) throw invalidArgument("owner must be the caller's user id");
  const sortKey = requireSortKey(o["sortKey"], "sortKey");
  const partitionHash = requireHash(o["partitionHash"], "partitionHash");
  optionalInstant(o["createdDate"], "createdDate");
  const purgeAt = optionalInstant(o["purgeDate"], "purgeDate");
  const absoluteHash = symphonyHash(document);

  const prevHash = o["prevHash"] === undefined ? undefined : requireHash(o["prevHash"], "prevHash");
  const baseHash = o["baseHash"] === undefined ? undefined : requireHash(o["baseHash"], "baseHash");
  if ((prevHash === undefined) !== (baseHash === undefined)) throw invalidArgument("baseHash and prevHash go together: both on an update, neither on a first version");
  if (o["prevSortKey"] !== undefined && !prevHash) throw invalidArgument("prevSortKey needs a prevHash");
  const prevSortKey = o["prevSortKey"] === undefined ? sortKey : requireSortKey(o["prevSortKey"], "prevSortKey");

  let deletion: DeletionType | undefined;
  let threadId: string | undefined;
  if (type === TYPES.deletedApplicationObject) {
    const d = o["deletionType"];
    if (d !== "LOGICAL" && d !== "PHYSICAL") throw invalidArgument("deletionType must be LOGICAL or PHYSICAL");
    if (!prevHash) throw invalidArgument("A deletion names the version it deletes in prevHash and baseHash");
    deletion = d;
  } else {
    threadId = validateCiphertext(o);
  }
  return { document, absoluteHash, baseHash: baseHash ?? absoluteHash, prevHash, prevSortKey, partitionHash, sortKey, owner, threadId, purgeAt, deletion };
}

/** An ID object (partition or feed): a JSON object holding its creator's userId, named by its hash. */
export function parseIdObject(raw: unknown, field: string): { hash: Buffer; document: string; userId: number } {
  if (!isPlainObject(raw)) throw invalidArgument(`${field} must be an ID object such as a NamedUserIdObject`);
  const userId = raw["userId"];
  if (typeof userId !== "number" || !Number.isSafeInteger(userId)) throw invalidArgument(`${field} must hold the caller's userId`);
  if (raw["hashType"] !== undefined && raw["hashType"] !== SHA256_HASH_TYPE) throw invalidArgument(`${field}.hashType must be 1`);
  const document = canonical(raw, field);
  if (Buffer.byteLength(document) > MAX_ID_BYTES) throw tooLarge(field, MAX_ID_BYTES);
  return { hash: symphonyHash(document), document, userId };
}

/** The JSON object a document column holds. */
export const documentJson = (document: string) => JSON.parse(document) as { [key: string]: unknown };
