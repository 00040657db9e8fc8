import { createCipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { absoluteHash, canonicalJson, hashToBase64, hashToUrlSafe, idHash, namedUserIdObject, TYPES } from "@symphony/codec";
import { beforeAll, describe, expect, it } from "vitest";
import { adminBot, mesh, newBot, newRoom, raw, type RawResponse, type TestBot } from "./harness.js";
import { query } from "./km.js";

// The Allegro object store through the gateway, with raw HTTP. Payloads are real AES-256-GCM
// ciphertext of a plaintext holding MARKER, which must never reach Postgres, NATS or the logs.
const MARKER = `plaintext-marker-${randomBytes(8).toString("hex")}`;
const CONFLICT = "An object with given partition and sort key already exists, or the object to be updated has changed.";

type Json = { [key: string]: unknown };

/** Allegro's payload layout: IV (16) | AAD (16) | ciphertext | tag (16), Base64. */
function encrypt(payload: Json): string {
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const aad = randomBytes(16);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(canonicalJson(payload as never)), cipher.final()]);
  return Buffer.concat([iv, aad, ciphertext, cipher.getAuthTag()]).toString("base64");
}

const pathOf = (o: Json) => hashToUrlSafe(absoluteHash(o as never));
const base64Of = (o: Json) => hashToBase64(absoluteHash(o as never));

/** The path of an object, or the fallback for one that has no canonical form (a fraction). */
function pathOr(o: Json, fallback: string): string {
  try {
    return pathOf(o);
  } catch {
    return fallback;
  }
}

function storedObject(owner: TestBot, partitionHash: string, sortKey: string, threadId: string, text = "first"): Json {
  return {
    _type: TYPES.storedApplicationObject,
    _version: "1.0",
    cipherSuiteId: "RSA2048_AES256",
    createdDate: new Date().toISOString(),
    encryptedPayload: encrypt({ _type: "com.example.ToDoItem", _version: "1.0", title: `${MARKER} ${text}` }),
    hashType: 1,
    header: { _type: "com.example.ToDoHeader", _version: "1.0", requestingUser: owner.userId },
    owner: owner.userId,
    partitionHash,
    rotationId: 0,
    sortKey,
    threadId,
  };
}

/** The next version of an object, as Allegro's updater builds it. */
function nextVersion(owner: TestBot, previous: Json, changes: Json = {}): Json {
  return {
    ...previous,
    owner: owner.userId,
    baseHash: previous["baseHash"] ?? base64Of(previous),
    prevHash: base64Of(previous),
    prevSortKey: previous["sortKey"],
    encryptedPayload: encrypt({ _type: "com.example.ToDoItem", title: `${MARKER} ${randomBytes(4).toString("hex")}` }),
    ...changes,
  };
}

function tombstone(owner: TestBot, previous: Json, deletionType: "LOGICAL" | "PHYSICAL"): Json {
  return {
    _type: TYPES.deletedApplicationObject,
    _version: "1.0",
    baseHash: previous["baseHash"] ?? base64Of(previous),
    deletionType,
    hashType: 1,
    owner: owner.userId,
    partitionHash: previous["partitionHash"],
    prevHash: base64Of(previous),
    prevSortKey: previous["sortKey"],
    sortKey: previous["sortKey"],
  };
}

const session = (b: TestBot) => ({ sessionToken: b.bot.sessionToken });
const call = (b: TestBot, method: string, path: string, json?: unknown) => raw(method, `/object/v1${path}`, { headers: session(b), json });
const put = (b: TestBot, o: Json) => call(b, "PUT", `/objects/${pathOf(o)}`, o);

function expectStatus(res: RawResponse, status: number): RawResponse {
  expect(res.status, res.text).toBe(status);
  return res;
}

interface Partition {
  hash: string;
  urlHash: string;
}

async function upsertPartition(owner: TestBot, name: string, userPermissions: { userId: number; permissions: string[] }[] = []): Promise<Partition> {
  const id = namedUserIdObject(owner.userId, name);
  const res = expectStatus(await call(owner, "POST", "/partitions/upsert", { partitionId: id, userPermissions }), 200);
  expect(res.body).toEqual({ _type: TYPES.partition, _version: "1.0", hashType: 1, id });
  return { hash: hashToBase64(idHash(id)), urlHash: hashToUrlSafe(idHash(id)) };
}

const sortKeysOf = (res: RawResponse) => (res.body as { data: Json[] }).data.map((o) => o["sortKey"]);
const afterOf = (res: RawResponse) => (res.body as { pagination: { cursors: { after?: string } } }).pagination.cursors.after;

let owner: TestBot;
let member: TestBot;
let outsider: TestBot;
let roomId: string;

beforeAll(async () => {
  [owner, member, outsider] = await Promise.all([newBot("os-owner"), newBot("os-member"), newBot("os-outsider")]);
  roomId = await newRoom(await adminBot(), [owner, member]);
});

describe("objects", () => {
  it("stores an object under the hash of its canonical JSON and serves it back unchanged", async () => {
    const p = await upsertPartition(owner, `store-${randomBytes(4).toString("hex")}`);
    const o = storedObject(owner, p.hash, "item-1", roomId);
    expect(expectStatus(await put(owner, o), 200).body).toEqual({});
    expect(expectStatus(await call(owner, "GET", `/objects/${pathOf(o)}`), 200).body).toEqual(o);
    expect(expectStatus(await call(owner, "GET", `/objects/${pathOf(o)}?currentVersion=true`), 200).body).toEqual(o);
    expect(expectStatus(await call(owner, "GET", `/partitions/${p.urlHash}/item-1`), 200).body).toEqual(o);
    // Standard Base64 in the path works too, and storing the same object again changes nothing.
    expectStatus(await call(owner, "GET", `/objects/${encodeURIComponent(base64Of(o))}`), 200);
    expectStatus(await put(owner, o), 200);
    expectStatus(await call(owner, "GET", `/partitions/${p.urlHash}/item-2`), 404);
  });

  it("updates with the current version as previous hash, refuses a stale one with 409 and lists versions", async () => {
    const p = await upsertPartition(owner, `update-${randomBytes(4).toString("hex")}`);
    const v1 = storedObject(owner, p.hash, "todo", roomId);
    expectStatus(await put(owner, v1), 200);
    const v2 = nextVersion(owner, v1);
    expectStatus(await put(owner, v2), 200);
    const stale = nextVersion(owner, v1);
    expect(expectStatus(await put(owner, stale), 409).body).toEqual({ code: 409, message: CONFLICT });
    const v3 = nextVersion(owner, v2, { sortKey: "todo-moved" });
    expectStatus(await put(owner, v3), 200);

    expect(expectStatus(await call(owner, "GET", `/objects/${pathOf(v1)}?currentVersion=true`), 200).body).toEqual(v3);
    expectStatus(await call(owner, "GET", `/partitions/${p.urlHash}/todo`), 404);
    expect(expectStatus(await call(owner, "GET", `/partitions/${p.urlHash}/todo-moved`), 200).body).toEqual(v3);
    // A version hash is no baseHash.
    expectStatus(await call(owner, "GET", `/objects/${pathOf(v2)}?currentVersion=true`), 404);

    const all = expectStatus(await call(owner, "GET", `/objects/${pathOf(v1)}/versions`), 200);
    expect((all.body as { data: Json[] }).data).toEqual([v1, v2, v3]);
    expect(afterOf(all)).toBeUndefined();
    const backwards = expectStatus(await call(owner, "GET", `/objects/${pathOf(v1)}/versions?scanForwards=false&limit=2`), 200);
    expect((backwards.body as { data: Json[] }).data).toEqual([v3, v2]);
    const rest = expectStatus(await call(owner, "GET", `/objects/${pathOf(v1)}/versions?scanForwards=false&limit=2&after=${afterOf(backwards)}`), 200);
    expect((rest.body as { data: Json[] }).data).toEqual([v1]);
    expect(afterOf(rest)).toBeUndefined();
    expectStatus(await call(owner, "GET", `/objects/${pathOf(v1)}/versions?limit=0`), 400);
    expectStatus(await call(owner, "GET", `/objects/${pathOf(v1)}/versions?after=not-a-cursor`), 400);
  });

  it("deletes logically (410 on the current version, the tombstone stays a version) and physically (every version gone)", async () => {
    const p = await upsertPartition(owner, `delete-${randomBytes(4).toString("hex")}`);
    const o = storedObject(owner, p.hash, "doomed", roomId);
    expectStatus(await put(owner, o), 200);
    const logical = tombstone(owner, o, "LOGICAL");
    expectStatus(await put(owner, logical), 200);
    expect(expectStatus(await call(owner, "GET", `/objects/${pathOf(o)}?currentVersion=true`), 410).body).toEqual({ code: 410, message: "The object has been deleted" });
    expect(expectStatus(await call(owner, "GET", `/objects/${pathOf(logical)}`), 200).body).toEqual(logical);
    expectStatus(await call(owner, "GET", `/partitions/${p.urlHash}/doomed`), 404);
    expect((expectStatus(await call(owner, "GET", `/objects/${pathOf(o)}/versions`), 200).body as { data: Json[] }).data).toEqual([o, logical]);
    // A deleted object takes no new version; its sort key is free for a new object.
    expect(expectStatus(await put(owner, nextVersion(owner, o)), 409).body).toEqual({ code: 409, message: CONFLICT });
    expectStatus(await put(owner, storedObject(owner, p.hash, "doomed", roomId, "reborn")), 200);

    const kept = storedObject(owner, p.hash, "erased", roomId);
    expectStatus(await put(owner, kept), 200);
    const v2 = nextVersion(owner, kept);
    expectStatus(await put(owner, v2), 200);
    expectStatus(await put(owner, tombstone(owner, v2, "PHYSICAL")), 200);
    for (const path of [`/objects/${pathOf(kept)}`, `/objects/${pathOf(v2)}`, `/objects/${pathOf(kept)}?currentVersion=true`, `/objects/${pathOf(kept)}/versions`, `/partitions/${p.urlHash}/erased`]) {
      expectStatus(await call(owner, "GET", path), 404);
    }
  });

  it("stores a transaction of up to six objects all or nothing", async () => {
    const p = await upsertPartition(owner, `tx-${randomBytes(4).toString("hex")}`);
    const taken = storedObject(owner, p.hash, "taken", roomId);
    expectStatus(await put(owner, taken), 200);
    const fresh = storedObject(owner, p.hash, "fresh", roomId);
    const clash = storedObject(owner, p.hash, "taken", roomId, "clash");
    expect(expectStatus(await call(owner, "POST", "/objects/transaction", [fresh, clash]), 409).body).toEqual({ code: 409, message: CONFLICT });
    expectStatus(await call(owner, "GET", `/objects/${pathOf(fresh)}`), 404);

    const six = Array.from({ length: 6 }, (_, i) => storedObject(owner, p.hash, `batch-${i}`, roomId));
    expectStatus(await call(owner, "POST", "/objects/transaction", [...six, storedObject(owner, p.hash, "batch-6", roomId)]), 400);
    expectStatus(await call(owner, "POST", "/objects/transaction", []), 400);
    expectStatus(await call(owner, "POST", "/objects/transaction", six), 200);
    const page = expectStatus(await call(owner, "GET", `/partitions/${p.urlHash}/page?sortKeyPrefix=batch-`), 200);
    expect(sortKeysOf(page)).toEqual(six.map((o) => o["sortKey"]));
  });

  it("answers 4xx to a wrong hash, an oversized object and malformed bodies", async () => {
    const p = await upsertPartition(owner, `bad-${randomBytes(4).toString("hex")}`);
    const o = storedObject(owner, p.hash, "ok", roomId);
    const other = storedObject(owner, p.hash, "other", roomId);
    expect(expectStatus(await call(owner, "PUT", `/objects/${pathOf(other)}`, o), 400).body).toMatchObject({ code: 400 });
    expectStatus(await call(owner, "PUT", "/objects/not-a-hash", o), 400);
    expectStatus(await call(owner, "GET", "/objects/not-a-hash"), 400);

    const big = { ...o, encryptedPayload: randomBytes(300 * 1024).toString("base64") };
    expect(expectStatus(await put(owner, big), 413).body).toMatchObject({ code: 413 });
    expectStatus(await put(owner, { ...o, encryptedPayload: randomBytes(1024 * 1024 * 2).toString("base64") }), 413);

    const malformed = await raw("PUT", `/object/v1/objects/${pathOf(o)}`, { headers: { ...session(owner), "content-type": "application/json" }, body: '{"_type": ' });
    expect(expectStatus(malformed, 400).body).toMatchObject({ code: 400 });
    expectStatus(await call(owner, "PUT", `/objects/${pathOf(o)}`, [o]), 400);
    expectStatus(await call(owner, "PUT", `/objects/${pathOf(o)}`), 400);
    for (const bad of [
      { ...o, secret: "plaintext" },
      { ...o, _type: "com.example.Other" },
      { ...o, rotationId: 1.5 },
      { ...o, encryptedPayload: "short" },
      { ...o, cipherSuiteId: "NONE" },
      { ...o, threadId: "nope" },
      { ...o, sortKey: "a/b" },
      { ...o, partitionHash: "AA==" },
      { ...o, createdDate: "yesterday" },
      { ...o, prevHash: base64Of(other) },
      { ...o, header: "not an object" },
    ]) {
      // Named by their own hash where one exists, so the refusal is the validation's.
      const res = expectStatus(await call(owner, "PUT", `/objects/${pathOr(bad, pathOf(o))}`, bad), 400);
      expect(res.body).toMatchObject({ code: 400 });
      expect((res.body as { message: string }).message).not.toContain("objectHash");
    }
    expectStatus(await put(owner, { ...o, owner: member.userId }), 403);
    expectStatus(await put(owner, storedObject(owner, hashToBase64(idHash(namedUserIdObject(owner.userId, "never-upserted"))), "x", roomId)), 404);
    expectStatus(await raw("PUT", `/object/v1/objects/${pathOf(o)}`, { json: o }), 401);
    expectStatus(await raw("PUT", `/object/v1/objects/${pathOf(o)}`, { headers: { sessionToken: "forged" }, json: o }), 401);
  });
});

describe("partitions", () => {
  it("pages by prefix, inclusive range, direction and sort-key cursors, and validates limits", async () => {
    const p = await upsertPartition(owner, `pages-${randomBytes(4).toString("hex")}`);
    const keys = ["a1", "a2", "b1", "b2", "c1"];
    await Promise.all(keys.map(async (k) => expectStatus(await put(owner, storedObject(owner, p.hash, k, roomId)), 200)));
    const page = (q: string) => call(owner, "GET", `/partitions/${p.urlHash}/page?${q}`);

    const first = expectStatus(await page("limit=2"), 200);
    expect(sortKeysOf(first)).toEqual(["a1", "a2"]);
    expect(afterOf(first)).toBe("a2");
    const second = expectStatus(await page("limit=2&after=a2"), 200);
    expect(sortKeysOf(second)).toEqual(["b1", "b2"]);
    expect((second.body as { pagination: { cursors: { before: string } } }).pagination.cursors.before).toBe("b1");
    const last = expectStatus(await page(`limit=2&after=${afterOf(second)}`), 200);
    expect(sortKeysOf(last)).toEqual(["c1"]);
    expect(afterOf(last)).toBeUndefined();

    expect(sortKeysOf(expectStatus(await page("sortKeyPrefix=b"), 200))).toEqual(["b1", "b2"]);
    expect(sortKeysOf(expectStatus(await page("sortKeyMin=a2&sortKeyMax=b2"), 200))).toEqual(["a2", "b1", "b2"]);
    expect(sortKeysOf(expectStatus(await page("sortKeyMin=b2"), 200))).toEqual(["b2", "c1"]);
    const backwards = expectStatus(await page("scanForwards=false&limit=2"), 200);
    expect(sortKeysOf(backwards)).toEqual(["c1", "b2"]);
    expect(sortKeysOf(expectStatus(await page(`scanForwards=false&after=${afterOf(backwards)}`), 200))).toEqual(["b1", "a2", "a1"]);
    expect(sortKeysOf(expectStatus(await page("scanForwards=false&sortKeyPrefix=a"), 200))).toEqual(["a2", "a1"]);

    for (const bad of ["limit=0", "limit=-1", "limit=2001", "limit=ten", "limit=1.5", "sortKeyPrefix=a&sortKeyMin=a", "scanForwards=maybe", "after=a%2Fb"]) {
      expect(expectStatus(await page(bad), 400).body).toMatchObject({ code: 400 });
    }
    expectStatus(await call(owner, "GET", `/partitions/${hashToUrlSafe(idHash(namedUserIdObject(owner.userId, "nothing")))}/page`), 404);
  });

  it("adds permissions on every upsert and lists the partition's users", async () => {
    const name = `users-${randomBytes(4).toString("hex")}`;
    const p = await upsertPartition(owner, name, [{ userId: member.userId, permissions: ["READ"] }]);
    await upsertPartition(owner, name, [
      { userId: member.userId, permissions: ["WRITE"] },
      { userId: outsider.userId, permissions: ["READ"] },
    ]);
    const users = expectStatus(await call(owner, "GET", `/partitions/${p.urlHash}/users`), 200);
    const entry = (userId: number, permissions: string[]) => ({ _type: TYPES.userPermissionsRequest, _version: "1.0", userId, permissions });
    const expected = [entry(member.userId, ["READ", "WRITE"]), entry(outsider.userId, ["READ"])].sort((a, b) => a.userId - b.userId);
    expect((users.body as { data: unknown[] }).data).toEqual(expected);
    const one = expectStatus(await call(member, "GET", `/partitions/${p.urlHash}/users?limit=1`), 200);
    expect((one.body as { data: unknown[] }).data).toEqual([expected[0]]);
    expect((expectStatus(await call(member, "GET", `/partitions/${p.urlHash}/users?after=${afterOf(one)}`), 200).body as { data: unknown[] }).data).toEqual([expected[1]]);

    expect(expectStatus(await call(member, "GET", `/partitions/${p.urlHash}`), 200).body).toEqual({ _type: TYPES.partition, _version: "1.0", hashType: 1, id: namedUserIdObject(owner.userId, name) });
    const stranger = await newBot("os-stranger");
    expectStatus(await call(stranger, "GET", `/partitions/${p.urlHash}`), 403);
    expectStatus(await call(stranger, "GET", `/partitions/${p.urlHash}/users`), 403);
    // An ID object must hold the caller's user id, so nobody pre-claims another's partition.
    expect(expectStatus(await call(stranger, "POST", "/partitions/upsert", { partitionId: namedUserIdObject(owner.userId, "mine") }), 403).body).toEqual({
      code: 403,
      message: "The provided ID object MUST contain the callers userId",
    });
    expectStatus(await call(owner, "POST", "/partitions/upsert", { partitionId: namedUserIdObject(owner.userId, "x"), userPermissions: [{ userId: member.userId, permissions: ["OWN"] }] }), 400);
    expectStatus(await call(owner, "POST", "/partitions/upsert", { partitionId: "nope" }), 400);
  });

  it("lets members read and write with the partition's permissions, and non-members only fetch ciphertext with an explicit READ grant", async () => {
    const [reader, writer, nobody] = await Promise.all([newBot("os-reader"), newBot("os-writer"), newBot("os-nobody")]);
    const name = `access-${randomBytes(4).toString("hex")}`;
    const p = await upsertPartition(owner, name);
    const o = storedObject(owner, p.hash, "shared", roomId);
    expectStatus(await put(owner, o), 200);
    const reads = (b: TestBot) => Promise.all([call(b, "GET", `/objects/${pathOf(o)}`), call(b, "GET", `/partitions/${p.urlHash}/shared`), call(b, "GET", `/partitions/${p.urlHash}/page`)]);

    // A member without a grant lacks the partition permission.
    for (const res of await reads(member)) expectStatus(res, 403);
    expectStatus(await put(member, storedObject(member, p.hash, "by-member", roomId)), 403);

    await upsertPartition(owner, name, [
      { userId: member.userId, permissions: ["READ", "WRITE"] },
      { userId: reader.userId, permissions: ["READ"] },
      { userId: writer.userId, permissions: ["WRITE"] },
    ]);
    for (const res of await reads(member)) expectStatus(res, 200);
    const byMember = storedObject(member, p.hash, "by-member", roomId);
    expectStatus(await put(member, byMember), 200);
    // The object is the member's version now; the owner updates from it.
    expectStatus(await put(owner, nextVersion(owner, byMember)), 200);

    // The READ grant lets a non-member fetch ciphertext (the key manager will not give it the key).
    const [absolute, bySortKey, page] = await reads(reader);
    expect(expectStatus(absolute, 200).body).toEqual(o);
    expect(expectStatus(bySortKey, 200).body).toEqual(o);
    expect(sortKeysOf(expectStatus(page, 200))).toEqual(["by-member", "shared"]);
    // Writing needs membership of the thread, whatever the grant.
    expect(expectStatus(await put(writer, storedObject(writer, p.hash, "by-writer", roomId)), 403).body).toMatchObject({ code: 403 });
    expectStatus(await put(reader, storedObject(reader, p.hash, "by-reader", roomId)), 403);
    for (const res of await reads(nobody)) expectStatus(res, 403);
    for (const res of await reads(writer)) expectStatus(res, 403);
  });
});

describe("feeds", () => {
  const readFeed = (b: TestBot, feedPath: string, body: Json) => call(b, "POST", `/feeds/${feedPath}/objects`, body);
  type FeedObject = { messageId: string; receiptHandle: string; payload: Json };
  const objectsOf = (res: RawResponse) => expectStatus(res, 200).body as FeedObject[];

  async function feedFor(p: Partition, name: string, extra: Json = {}) {
    const feedId = namedUserIdObject(owner.userId, name);
    const res = expectStatus(await call(owner, "POST", "/feeds/upsert", { feedId, partitionSelections: [{ partitionHash: p.hash, sortKeyPrefix: "f" }], ...extra }), 200);
    expect(res.body).toMatchObject({ _type: TYPES.feed, _version: "1.0", hashType: 1, id: feedId });
    expect((res.body as { queueName: string }).queueName).toBeTruthy();
    return hashToUrlSafe(idHash(feedId));
  }

  it("delivers new versions of its selection, hides them while read, redelivers after the visibility timeout and forgets acknowledged ones", async () => {
    const p = await upsertPartition(owner, `feed-${randomBytes(4).toString("hex")}`);
    const feed = await feedFor(p, `feed_${randomBytes(4).toString("hex")}`);
    const o = storedObject(owner, p.hash, "f-1", roomId);
    expectStatus(await put(owner, o), 200);
    expectStatus(await put(owner, storedObject(owner, p.hash, "g-1", roomId)), 200);

    const [delivered] = objectsOf(await readFeed(owner, feed, { maxItems: 10, waitTimeSeconds: 20 }));
    expect(delivered).toMatchObject({ payload: o });
    // In flight: invisible to the next read.
    expect(objectsOf(await readFeed(owner, feed, { waitTimeSeconds: 1 }))).toEqual([]);
    // Extending with 0 makes it visible at once (a nak).
    const again = objectsOf(await readFeed(owner, feed, { waitTimeSeconds: 20, extend: [{ receiptHandle: delivered!.receiptHandle, visibilityTimeout: 0 }] }));
    expect(again.map((m) => m.messageId)).toEqual([delivered!.messageId]);

    // A short visibility timeout per read: unacknowledged, it comes back after it.
    const v2 = nextVersion(owner, o);
    expectStatus(await put(owner, v2), 200);
    const read = objectsOf(await readFeed(owner, feed, { waitTimeSeconds: 20, visibilityTimeout: 1, delete: again.map((m) => ({ receiptHandle: m.receiptHandle })) }));
    expect(read.map((m) => m.payload)).toEqual([v2]);
    const redelivered = objectsOf(await readFeed(owner, feed, { waitTimeSeconds: 20 }));
    expect(redelivered.map((m) => m.messageId)).toEqual([read[0]!.messageId]);

    // Acknowledged (deleted) in the same call that reads: nothing is left, the g- object never came.
    const done = redelivered.map((m) => ({ receiptHandle: m.receiptHandle }));
    expect(objectsOf(await readFeed(owner, feed, { waitTimeSeconds: 2, delete: done }))).toEqual([]);
    // A client retrying its acknowledgement is answered the same.
    expect(objectsOf(await readFeed(owner, feed, { maxItems: 0, delete: done }))).toEqual([]);

    const deletion = tombstone(owner, v2, "LOGICAL");
    expectStatus(await put(owner, deletion), 200);
    const tombstones = objectsOf(await readFeed(owner, feed, { waitTimeSeconds: 20 }));
    expect(tombstones.map((m) => m.payload)).toEqual([deletion]);
    expect(objectsOf(await readFeed(owner, feed, { maxItems: 0, delete: tombstones.map((m) => ({ receiptHandle: m.receiptHandle })) }))).toEqual([]);
  });

  it("checks who reads, validates its requests and is gone once deleted", async () => {
    const p = await upsertPartition(owner, `feed-acl-${randomBytes(4).toString("hex")}`, [{ userId: member.userId, permissions: ["READ"] }]);
    const feed = await feedFor(p, `acl_${randomBytes(4).toString("hex")}`, { userPermissions: [{ userId: member.userId, permissions: ["READ"] }], expiryTime: 3_600_000 });
    const o = storedObject(owner, p.hash, "f-acl", roomId);
    expectStatus(await put(owner, o), 200);
    const [shared] = objectsOf(await readFeed(member, feed, { waitTimeSeconds: 20 }));
    expect(shared!.payload).toEqual(o);
    expectStatus(await readFeed(outsider, feed, {}), 403);
    expectStatus(await call(member, "DELETE", `/feeds/${feed}`), 403);

    for (const bad of [{ maxItems: 11 }, { maxItems: -1 }, { waitTimeSeconds: 21 }, { visibilityTimeout: 0 }, { delete: [{ receiptHandle: "forged" }] }, { delete: [{ receiptHandle: Buffer.from("$JS.ACK.OTHER.feed.1.1.1.1.1").toString("base64url") }] }, { maxItems: "many" }]) {
      expect(expectStatus(await readFeed(owner, feed, bad), 400).body).toMatchObject({ code: 400 });
    }
    const upsert = (extra: Json) => call(owner, "POST", "/feeds/upsert", { feedId: namedUserIdObject(owner.userId, "bad_feed"), ...extra });
    expectStatus(await upsert({ expiryTime: 1000 }), 400);
    expectStatus(await upsert({ expiryTime: 6 * 24 * 3_600_000 }), 400);
    expectStatus(await upsert({ partitionHashes: ["nope"] }), 400);
    expectStatus(await upsert({ userPermissions: [{ userId: member.userId, permissions: ["WRITE"] }] }), 400);
    expectStatus(await upsert({ partitionHashes: [hashToBase64(idHash(namedUserIdObject(owner.userId, "nothing")))] }), 404);
    const theirs = await upsertPartition(outsider, `theirs-${randomBytes(4).toString("hex")}`);
    expectStatus(await upsert({ partitionHashes: [theirs.hash] }), 403);

    expectStatus(await call(owner, "DELETE", `/feeds/${feed}`), 200);
    expectStatus(await readFeed(owner, feed, {}), 404);
    expectStatus(await call(owner, "DELETE", `/feeds/${feed}`), 404);
  });
});

describe("confidentiality", () => {
  it("never lets the plaintext reach Postgres, NATS or the service's log", async () => {
    const schema = `${mesh().schemaPrefix}_objectstore`;
    const tables = await query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = $1", [schema]);
    expect(tables.length).toBeGreaterThan(5);
    let rows = 0;
    for (const { table_name } of tables) {
      const contents = await query<{ row: string }>(`select t::text as row from "${schema}"."${table_name}" t`);
      rows += contents.length;
      for (const { row } of contents) expect(row).not.toContain(MARKER);
    }
    expect(rows).toBeGreaterThan(0);
    const stored = await query<{ document: string }>(`select document from "${schema}".objects limit 1`);
    expect(stored[0]!.document).toContain("encryptedPayload");

    const nc = await connect({ servers: mesh().natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = `${mesh().eventsStream}_OBJECTS`;
      const info = await jsm.streams.info(stream);
      expect(info.state.messages).toBeGreaterThan(0);
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
        if (m) expect(Buffer.from(m.data).includes(MARKER)).toBe(false);
      }
    } finally {
      await nc.close();
    }
    expect(readFileSync(join(mesh().logDir, "objectstore.log"), "utf8")).not.toContain(MARKER);
  });
});
