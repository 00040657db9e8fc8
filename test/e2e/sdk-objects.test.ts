import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AllegroClient,
  BadRequestError,
  ConflictError,
  GoneError,
  NotFoundError,
  PermissionDeniedError,
  type AllegroObject,
  type FeedMessage,
} from "@symphony/sdk";
import { describe, expect, it } from "vitest";
import { query } from "./km.js";
import { mesh, newBot, type TestBot } from "./harness.js";

interface State {
  counter: number;
  note: string;
}

const unique = (what: string) => `${what}-${randomBytes(6).toString("hex")}`;

/** A bot with its own room (the thread whose key encrypts) and its Allegro client. */
async function owner(prefix = "owner") {
  const bot = await newBot(prefix);
  const room = await bot.bot.createRoom({ name: unique("objects") });
  return { ...bot, threadId: room.roomSystemInfo.id, allegro: new AllegroClient(bot.bot) };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const sortKeys = (objects: AllegroObject[]) => objects.map((o) => o.sortKey);

describe("SDK objects: store, update, delete, versions", () => {
  it("round-trips an encrypted object and names every version by its hash", async () => {
    const { allegro, threadId, userId } = await owner();
    const partition = await allegro.upsertPartition("state");
    const v1 = await allegro.store<State>({ partition, sortKey: "bot-state", threadId, payload: { counter: 1, note: "first" }, header: { kind: "state" } });
    expect(v1.document).toMatchObject({ owner: userId, cipherSuiteId: "RSA2048_AES256", rotationId: 1, threadId, header: { kind: "state" } });
    expect(v1.document).not.toHaveProperty("baseHash");
    expect(v1.baseHash).toBe(v1.absoluteHash);

    const current = await allegro.fetchCurrent<State>(v1.baseHash);
    expect(current.absoluteHash).toBe(v1.absoluteHash);
    expect(await current.payload()).toEqual({ counter: 1, note: "first" });
    expect(await (await allegro.fetchAbsolute<State>(v1.absoluteHash)).payload()).toEqual({ counter: 1, note: "first" });
    expect((await allegro.fetchObject(partition, "bot-state")).absoluteHash).toBe(v1.absoluteHash);
    // Storing the very same version again is a no-op.
    await allegro.put(v1);
  });

  it("updates against the current version; a stale one is a ConflictError; a deleted object is Gone", async () => {
    const { allegro, threadId } = await owner();
    const partition = await allegro.upsertPartition("state");
    const v1 = await allegro.store<State>({ partition, sortKey: "counter", threadId, payload: { counter: 1, note: "v1" } });
    const v2 = await allegro.update(v1, { payload: { counter: 2, note: "v2" } });
    expect(v2.document).toMatchObject({ baseHash: v1.absoluteHash, prevHash: v1.absoluteHash, prevSortKey: "counter" });

    const stale = await allegro.update(v1, { payload: { counter: 99, note: "stale" } }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect(stale).toMatchObject({ status: 409, code: 409 });
    expect(await (await allegro.fetchCurrent<State>(v1.baseHash)).payload()).toEqual({ counter: 2, note: "v2" });
    await expect(allegro.store({ partition, sortKey: "counter", threadId, payload: { counter: 0, note: "dup" } })).rejects.toBeInstanceOf(ConflictError);

    // Header-only change and a move: the payload is re-encrypted for its new place.
    const v3 = await allegro.update(v2, { header: { touched: 1 }, sortKey: "counter-moved" });
    expect(await (await allegro.fetchObject<State>(partition, "counter-moved")).payload()).toEqual({ counter: 2, note: "v2" });
    await expect(allegro.fetchObject(partition, "counter")).rejects.toBeInstanceOf(NotFoundError);

    const tombstone = await allegro.delete(v3);
    expect(tombstone.deletionType).toBe("LOGICAL");
    const gone = await allegro.fetchCurrent(v1.baseHash).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(GoneError);
    expect(gone).toBeInstanceOf(NotFoundError);
    expect(gone).toMatchObject({ status: 410 });

    const versions = await all(allegro.versions(v1.baseHash));
    expect(versions.map((v) => v.absoluteHash)).toEqual([v1, v2, v3, tombstone].map((v) => v.absoluteHash));
    expect(await versions[0]!.payload()).toEqual({ counter: 1, note: "v1" });
    const backwards = await all(allegro.versions(v1.baseHash, { scanForwards: false, limit: 1 }));
    expect(backwards.map((v) => v.absoluteHash)).toEqual([tombstone, v3, v2, v1].map((v) => v.absoluteHash));
    const first = await allegro.versionsPage(v1.baseHash, { limit: 3 });
    expect(first.data).toHaveLength(3);
    expect((await first.next())?.data.map((v) => v.absoluteHash)).toEqual([tombstone.absoluteHash]);
    // Old versions stay readable by their hash.
    expect(await (await allegro.fetchAbsolute<State>(v2.absoluteHash)).payload()).toEqual({ counter: 2, note: "v2" });
  });

  it("stores several objects in one transaction, all or nothing", async () => {
    const { allegro, threadId } = await owner();
    const partition = await allegro.upsertPartition("batch");
    const first = await allegro.prepare({ partition, sortKey: "t-1", threadId, payload: { n: 1 } });
    const second = await allegro.prepare({ partition, sortKey: "t-2", threadId, payload: { n: 2 } });
    await allegro.storeTransaction([first, second]);
    expect(sortKeys(await all(allegro.objects(partition)))).toEqual(["t-1", "t-2"]);

    const next = await allegro.prepareUpdate(first, { payload: { n: 10 } });
    const clash = await allegro.prepare({ partition, sortKey: "t-2", threadId, payload: { n: 3 } });
    await expect(allegro.storeTransaction([next, clash])).rejects.toBeInstanceOf(ConflictError);
    expect(await (await allegro.fetchObject(partition, "t-1")).payload()).toEqual({ n: 1 });
  });

  it("a physical delete removes every version", async () => {
    const { allegro, threadId } = await owner();
    const partition = await allegro.upsertPartition("scratch");
    const v1 = await allegro.store({ partition, sortKey: "tmp", threadId, payload: { counter: 1 } });
    await allegro.delete(v1, "PHYSICAL");
    const err = await allegro.fetchCurrent(v1.baseHash).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).not.toBeInstanceOf(GoneError);
    await expect(allegro.fetchAbsolute(v1.absoluteHash)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("SDK objects: partition pages", () => {
  it("pages through a partition with prefix, inclusive range, direction, limits and cursors", async () => {
    const { allegro, threadId } = await owner();
    const partition = await allegro.upsertPartition(unique("items"));
    const keys = ["a-01", "a-02", "a-03", "a-04", "a-05", "b-01", "b-02", "c-01"];
    for (const sortKey of keys) await allegro.store({ partition, sortKey, threadId, payload: { sortKey } });

    expect(sortKeys(await all(allegro.objects(partition)))).toEqual(keys);
    expect(sortKeys(await all(allegro.objects(partition, { sortKeyPrefix: "a-", limit: 2 })))).toEqual(keys.slice(0, 5));
    expect(sortKeys(await all(allegro.objects(partition, { sortKeyMin: "a-03", sortKeyMax: "b-01" })))).toEqual(["a-03", "a-04", "a-05", "b-01"]);
    expect(sortKeys(await all(allegro.objects(partition, { scanForwards: false, limit: 3 })))).toEqual([...keys].reverse());
    expect(sortKeys(await all(allegro.objects(partition, { sortKeyPrefix: "a-", scanForwards: false, maxItems: 2 })))).toEqual(["a-05", "a-04"]);
    expect(sortKeys(await all(allegro.objects(partition, { after: "b-01" })))).toEqual(["b-02", "c-01"]);
    expect(sortKeys(await all(allegro.objects(partition, { sortKeyMin: "b", scanForwards: false })))).toEqual(["c-01", "b-02", "b-01"]);

    const page1 = await allegro.page(partition, { limit: 3 });
    expect(sortKeys(page1.data)).toEqual(["a-01", "a-02", "a-03"]);
    expect(page1.after).toBe("a-03");
    const page2 = await allegro.page(partition, { limit: 3, after: page1.after });
    expect(sortKeys(page2.data)).toEqual(["a-04", "a-05", "b-01"]);
    expect(sortKeys((await page2.next())!.data)).toEqual(["b-02", "c-01"]);
    const last = await allegro.page(partition, { sortKeyPrefix: "c-" });
    expect(last.after).toBeUndefined();
    expect(await last.next()).toBeUndefined();
    expect(await Promise.all((await allegro.page<{ sortKey: string }>(partition, { sortKeyPrefix: "b-" })).data.map((o) => o.payload()))).toEqual([{ sortKey: "b-01" }, { sortKey: "b-02" }]);

    await allegro.delete(await allegro.fetchObject(partition, "a-02"));
    expect(sortKeys(await all(allegro.objects(partition, { sortKeyPrefix: "a-" })))).toEqual(["a-01", "a-03", "a-04", "a-05"]);
    await expect(allegro.page(partition, { sortKeyPrefix: "a-", sortKeyMin: "a-01" })).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe("SDK objects: feeds", () => {
  it("delivers new versions to a feed; for-await acknowledges what the consumer moved past", async () => {
    const { allegro, threadId } = await owner();
    const partition = await allegro.upsertPartition(unique("jobs"));
    const feed = await allegro.upsertFeed(unique("jobs_feed"), { partitions: [{ partition, sortKeyPrefix: "job-" }] });
    await allegro.store({ partition, sortKey: "other-1", threadId, payload: { n: 0 } });
    for (let n = 1; n <= 3; n++) await allegro.store({ partition, sortKey: `job-${n}`, threadId, payload: { n } });

    const stop = new AbortController();
    const got: number[] = [];
    for await (const message of allegro.feed<{ n: number }>(feed, { signal: stop.signal, waitTimeSeconds: 1, visibilityTimeout: 10 })) {
      got.push((await message.object.payload())!.n);
      if (got.length === 3) break;
    }
    const held = got[2];
    expect([...got].sort()).toEqual([1, 2, 3]);
    // The last one was held when the loop stopped: it comes back after its visibility timeout.
    // The first two were acknowledged when the consumer moved past them, and never come back.
    const again = await readUntil(allegro, feed.hash, 1, { visibilityTimeout: 30 });
    expect(again).toHaveLength(1);
    expect(await again[0]!.object.payload()).toEqual({ n: held });
    await again[0]!.ack();
    expect(await allegro.readFeed(feed, { waitTimeSeconds: 1 })).toEqual([]);
    stop.abort();
  }, 90_000);

  it("redelivers what was not acknowledged after its visibility timeout; release and extend change it", async () => {
    const { allegro, threadId } = await owner();
    const partition = await allegro.upsertPartition(unique("tasks"));
    const feed = await allegro.upsertFeed(unique("tasks_feed"), { partitions: [partition] });
    await allegro.store({ partition, sortKey: "task", threadId, payload: { task: "wash" } });

    const [first] = await readUntil(allegro, feed.hash, 1, { visibilityTimeout: 2 });
    expect(await first!.object.payload()).toEqual({ task: "wash" });
    expect(await allegro.readFeed(feed, { visibilityTimeout: 2 })).toEqual([]);
    const [redelivered] = await readUntil(allegro, feed.hash, 1, { visibilityTimeout: 60 });
    expect(redelivered!.messageId).toBe(first!.messageId);

    // Released (visible again at once).
    await redelivered!.release();
    const [released] = await readUntil(allegro, feed.hash, 1, { visibilityTimeout: 2 });
    // Extended well past the test: invisible although its own timeout has run out.
    await released!.extend(600);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await allegro.readFeed(feed, { waitTimeSeconds: 1 })).toEqual([]);

    await released!.ack();
    expect(await allegro.readFeed(feed, { waitTimeSeconds: 1 })).toEqual([]);
    await allegro.deleteFeed(feed);
    await expect(allegro.readFeed(feed)).rejects.toBeInstanceOf(NotFoundError);
  }, 90_000);
});

describe("SDK objects: keys stay with members", () => {
  it("a READ grant lets a non-member fetch the ciphertext, but the key manager refuses them the key", async () => {
    const alice = await owner("alice");
    const bob: TestBot = await newBot("bob");
    const partition = await alice.allegro.upsertPartition(unique("shared"), [{ userId: bob.userId, permissions: ["READ"] }]);
    await alice.allegro.store({ partition, sortKey: "plan", threadId: alice.threadId, payload: { plan: "secret" }, header: { kind: "plan" } });

    expect(await all(alice.allegro.partitionUsers(partition))).toEqual([expect.objectContaining({ userId: bob.userId, permissions: ["READ"] })]);
    expect((await alice.allegro.fetchPartition(partition)).id).toEqual(partition.id);

    const bobs = new AllegroClient(bob.bot);
    const fetched = await bobs.fetchObject(partition, "plan");
    expect(fetched.header).toEqual({ kind: "plan" });
    expect(fetched.document).toHaveProperty("encryptedPayload");
    await expect(fetched.payload()).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(bobs.keys.currentKey(alice.threadId)).rejects.toBeInstanceOf(PermissionDeniedError);

    // Once a member, the same object opens.
    await alice.bot.addRoomMember(alice.threadId, bob.userId);
    expect(await fetched.payload()).toEqual({ plan: "secret" });
  });

  it("without a grant a member of the thread cannot read the partition", async () => {
    const alice = await owner("alice");
    const carol = await newBot("carol");
    await alice.bot.addRoomMember(alice.threadId, carol.userId);
    const partition = await alice.allegro.upsertPartition(unique("private"));
    await alice.allegro.store({ partition, sortKey: "x", threadId: alice.threadId, payload: { x: 1 } });
    await expect(new AllegroClient(carol.bot).fetchObject(partition, "x")).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});

describe("SDK objects: plaintext stays with the bot", () => {
  it("never reaches Postgres or the service logs", async () => {
    const { allegro, threadId } = await owner();
    const secret = unique("plaintext-marker");
    const partition = await allegro.upsertPartition(unique("vault"));
    const feed = await allegro.upsertFeed(unique("vault_feed"), { partitions: [partition] });
    // The header is plaintext by design: finding it proves the scan looks where objects are kept.
    const visible = unique("header-marker");
    const v1 = await allegro.store({ partition, sortKey: "doc", threadId, payload: { secret }, header: { visible } });
    await allegro.update(v1, { payload: { secret: `${secret} again` } });
    await readUntil(allegro, feed.hash, 2, {});

    const forms = [secret, Buffer.from(secret).toString("hex"), Buffer.from(secret).toString("base64").slice(0, 16)];
    const schema = `${mesh().schemaPrefix}_objectstore`;
    const tables = await query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = $1", [schema]);
    expect(tables.map((t) => t.table_name)).toContain("objects");
    let headerSeen = false;
    for (const { table_name } of tables) {
      const rows = await query<{ row: string }>(`select row_to_json(t)::text as row from "${schema}"."${table_name}" t`);
      for (const { row } of rows) {
        headerSeen ||= row.includes(visible);
        for (const form of forms) expect(row.includes(form), `${table_name} holds the plaintext`).toBe(false);
      }
    }
    expect(headerSeen).toBe(true);
    const logDir = mesh().logDir;
    expect(readdirSync(logDir)).toEqual(expect.arrayContaining(["objectstore.log"]));
    for (const file of readdirSync(logDir)) {
      const log = readFileSync(join(logDir, file), "utf8");
      for (const form of forms) expect(log.includes(form), `${file} holds the plaintext`).toBe(false);
    }
  });
});

/** Reads a feed until `count` messages arrived (long polls of 1 s), without acknowledging them. */
async function readUntil(allegro: AllegroClient, feedHash: string, count: number, request: { visibilityTimeout?: number }): Promise<FeedMessage[]> {
  const got: FeedMessage[] = [];
  const deadline = Date.now() + 60_000;
  while (got.length < count && Date.now() < deadline) got.push(...(await allegro.readFeed(feedHash, { ...request, waitTimeSeconds: 1 })));
  expect(got.length).toBeGreaterThanOrEqual(count);
  return got;
}
