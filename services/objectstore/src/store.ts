import { invalidArgument, traceContextJson } from "@symphony/kit";
import { sql, type Kysely, type Transaction } from "kysely";
import { conflict } from "./errors.js";
import type { ParsedObject } from "./objects.js";
import type { ObjectStoreDatabase } from "./schema.js";

type Db = Kysely<ObjectStoreDatabase>;

export interface Grant {
  userId: number;
  read: boolean;
  write: boolean;
}

export interface PartitionAccess {
  ownerId: number;
  idObject: string;
  /** The caller's own grant, if any. */
  grant?: { read: boolean; write: boolean };
}

export interface ObjectRow {
  document: string;
  partition_hash: Buffer;
  thread_id: string | null;
}

export interface PageQuery {
  after?: string;
  prefix?: string;
  min?: string;
  max?: string;
  forwards: boolean;
  limit: number;
}

export interface FeedRow {
  owner_id: number;
  id_object: string;
  consumer: string;
  expiry_ms: number;
  expires_at: number;
}

export interface OutboxRow {
  seq: number;
  pod_id: number;
  partition_hash: Buffer;
  sort_key: string;
  absolute_hash: Buffer;
  trace_context: Record<string, string> | null;
}

// An announced version's outbox row is kept this long (inspection), then deleted.
const KEEP_PUBLISHED_MS = 24 * 3_600_000;
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "23505";
// A LIKE pattern matching the prefix literally.
const startingWith = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Every query of the object store's schema; each one names the pod it serves. */
export class ObjectStore {
  constructor(readonly db: Db) {}

  async partitionAccess(podId: number, partitionHash: Buffer, userId: number): Promise<PartitionAccess | undefined> {
    const row = await this.db
      .selectFrom("partitions as p")
      .leftJoin("partition_grants as g", (j) => j.onRef("g.pod_id", "=", "p.pod_id").onRef("g.partition_hash", "=", "p.partition_hash").on("g.user_id", "=", userId))
      .select(["p.owner_id", "p.id_object", "g.can_read", "g.can_write"])
      .where("p.pod_id", "=", podId)
      .where("p.partition_hash", "=", partitionHash)
      .executeTakeFirst();
    if (!row) return undefined;
    const grant = row.can_read === null || row.can_write === null ? undefined : { read: row.can_read, write: row.can_write };
    return { ownerId: row.owner_id, idObject: row.id_object, grant };
  }

  /** Creates the partition if new and adds the grants (an upsert never takes a right away). */
  async upsertPartition(podId: number, partitionHash: Buffer, ownerId: number, idObject: string, grants: Grant[], now: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto("partitions")
        .values({ pod_id: podId, partition_hash: partitionHash, owner_id: ownerId, id_object: idObject, created_at: now })
        .onConflict((c) => c.doNothing())
        .execute();
      if (grants.length === 0) return;
      await tx
        .insertInto("partition_grants")
        .values(grants.map((g) => ({ pod_id: podId, partition_hash: partitionHash, user_id: g.userId, can_read: g.read, can_write: g.write })))
        .onConflict((c) =>
          c.columns(["pod_id", "partition_hash", "user_id"]).doUpdateSet({
            can_read: sql<boolean>`partition_grants.can_read or excluded.can_read`,
            can_write: sql<boolean>`partition_grants.can_write or excluded.can_write`,
          }),
        )
        .execute();
    });
  }

  partitionGrants(podId: number, partitionHash: Buffer, afterUserId: number, limit: number) {
    return this.db
      .selectFrom("partition_grants")
      .select(["user_id", "can_read", "can_write"])
      .where("pod_id", "=", podId)
      .where("partition_hash", "=", partitionHash)
      .where("user_id", ">", afterUserId)
      .orderBy("user_id")
      .limit(limit)
      .execute();
  }

  object(podId: number, absoluteHash: Buffer, now: number): Promise<ObjectRow | undefined> {
    return this.db
      .selectFrom("objects")
      .select(["document", "partition_hash", "thread_id"])
      .where("pod_id", "=", podId)
      .where("absolute_hash", "=", absoluteHash)
      .where((eb) => eb.or([eb("purge_at", "is", null), eb("purge_at", ">", now)]))
      .executeTakeFirst();
  }

  objects(podId: number, absoluteHashes: Buffer[], now: number) {
    if (absoluteHashes.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom("objects")
      .select(["absolute_hash", "document", "partition_hash", "thread_id"])
      .where("pod_id", "=", podId)
      .where("absolute_hash", "in", absoluteHashes)
      .where((eb) => eb.or([eb("purge_at", "is", null), eb("purge_at", ">", now)]))
      .execute();
  }

  head(podId: number, baseHash: Buffer) {
    return this.db
      .selectFrom("heads")
      .select(["absolute_hash", "partition_hash", "thread_id", "deleted"])
      .where("pod_id", "=", podId)
      .where("base_hash", "=", baseHash)
      .executeTakeFirst();
  }

  /** Versions of one object in the order they were written (or the reverse), after a version cursor. */
  versions(podId: number, baseHash: Buffer, afterSeq: number | undefined, forwards: boolean, limit: number, now: number) {
    let q = this.db
      .selectFrom("objects")
      .select(["version_seq", "document", "partition_hash", "thread_id"])
      .where("pod_id", "=", podId)
      .where("base_hash", "=", baseHash)
      .where((eb) => eb.or([eb("purge_at", "is", null), eb("purge_at", ">", now)]));
    if (afterSeq !== undefined) q = q.where("version_seq", forwards ? ">" : "<", afterSeq);
    return q.orderBy("version_seq", forwards ? "asc" : "desc").limit(limit).execute();
  }

  currentObject(podId: number, partitionHash: Buffer, sortKey: string, now: number): Promise<ObjectRow | undefined> {
    return this.db
      .selectFrom("current_objects as c")
      .innerJoin("objects as o", (j) => j.onRef("o.pod_id", "=", "c.pod_id").onRef("o.absolute_hash", "=", "c.absolute_hash"))
      .select(["o.document", "o.partition_hash", "o.thread_id"])
      .where("c.pod_id", "=", podId)
      .where("c.partition_hash", "=", partitionHash)
      .where("c.sort_key", "=", sortKey)
      .where((eb) => eb.or([eb("o.purge_at", "is", null), eb("o.purge_at", ">", now)]))
      .executeTakeFirst();
  }

  /** Current objects of a partition in sort-key (byte) order; both range ends are inclusive. */
  partitionPage(podId: number, partitionHash: Buffer, page: PageQuery, now: number) {
    let q = this.db
      .selectFrom("current_objects as c")
      .innerJoin("objects as o", (j) => j.onRef("o.pod_id", "=", "c.pod_id").onRef("o.absolute_hash", "=", "c.absolute_hash"))
      .select(["c.sort_key", "o.document", "o.partition_hash", "o.thread_id"])
      .where("c.pod_id", "=", podId)
      .where("c.partition_hash", "=", partitionHash)
      .where((eb) => eb.or([eb("o.purge_at", "is", null), eb("o.purge_at", ">", now)]));
    if (page.prefix) q = q.where("c.sort_key", "like", startingWith(page.prefix));
    if (page.min) q = q.where("c.sort_key", ">=", page.min);
    if (page.max) q = q.where("c.sort_key", "<=", page.max);
    if (page.after) q = q.where("c.sort_key", page.forwards ? ">" : "<", page.after);
    return q.orderBy("c.sort_key", page.forwards ? "asc" : "desc").limit(page.limit).execute();
  }

  /** Writes the objects of one request, all or nothing; returns how many versions the feeds must hear of. */
  async write(podId: number, objects: ParsedObject[], now: number): Promise<number> {
    try {
      return await this.db.transaction().execute(async (tx) => {
        let announced = 0;
        for (const o of objects) if (await writeOne(tx, podId, o, now)) announced++;
        return announced;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict();
      throw err;
    }
  }

  feed(podId: number, feedHash: Buffer): Promise<FeedRow | undefined> {
    return this.db
      .selectFrom("feeds")
      .select(["owner_id", "id_object", "consumer", "expiry_ms", "expires_at"])
      .where("pod_id", "=", podId)
      .where("feed_hash", "=", feedHash)
      .executeTakeFirst();
  }

  async mayReadFeed(podId: number, feedHash: Buffer, userId: number): Promise<boolean> {
    const grant = await this.db
      .selectFrom("feed_grants")
      .select("user_id")
      .where("pod_id", "=", podId)
      .where("feed_hash", "=", feedHash)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return grant !== undefined;
  }

  /** Creates the feed if new (or refreshes its expiry) and adds selections and READ grants. */
  async upsertFeed(
    podId: number,
    feed: { hash: Buffer; ownerId: number; idObject: string; consumer: string; expiryMs: number },
    selections: { partitionHash: Buffer; prefix: string }[],
    readers: number[],
    now: number,
  ): Promise<void> {
    const key = { pod_id: podId, feed_hash: feed.hash };
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto("feeds")
        .values({ ...key, owner_id: feed.ownerId, id_object: feed.idObject, consumer: feed.consumer, expiry_ms: feed.expiryMs, expires_at: now + feed.expiryMs })
        .onConflict((c) => c.columns(["pod_id", "feed_hash"]).doUpdateSet({ expiry_ms: feed.expiryMs, expires_at: now + feed.expiryMs }))
        .execute();
      if (selections.length > 0) {
        await tx
          .insertInto("feed_selections")
          .values(selections.map((s) => ({ ...key, partition_hash: s.partitionHash, sort_key_prefix: s.prefix })))
          .onConflict((c) => c.doNothing())
          .execute();
      }
      if (readers.length > 0) {
        await tx
          .insertInto("feed_grants")
          .values(readers.map((userId) => ({ ...key, user_id: userId })))
          .onConflict((c) => c.doNothing())
          .execute();
      }
    });
  }

  async deleteFeed(podId: number, feedHash: Buffer): Promise<void> {
    await this.db.deleteFrom("feeds").where("pod_id", "=", podId).where("feed_hash", "=", feedHash).execute();
  }

  async touchFeed(podId: number, feedHash: Buffer, expiresAt: number): Promise<void> {
    await this.db.updateTable("feeds").set({ expires_at: expiresAt }).where("pod_id", "=", podId).where("feed_hash", "=", feedHash).execute();
  }

  unpublished(tx: Kysely<ObjectStoreDatabase>, limit: number): Promise<OutboxRow[]> {
    return tx
      .selectFrom("outbox")
      .select(["seq", "pod_id", "partition_hash", "sort_key", "absolute_hash", "trace_context"])
      .where("published_at", "is", null)
      .orderBy("seq")
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
  }

  /** The live feeds subscribed to any of these partitions, with the sort-key prefix each selects. */
  subscriptions(tx: Kysely<ObjectStoreDatabase>, partitions: { podId: number; partitionHash: Buffer }[], now: number) {
    return tx
      .selectFrom("feed_selections as s")
      .innerJoin("feeds as f", (j) => j.onRef("f.pod_id", "=", "s.pod_id").onRef("f.feed_hash", "=", "s.feed_hash"))
      .select(["s.pod_id", "s.partition_hash", "s.sort_key_prefix", "s.feed_hash"])
      .where("f.expires_at", ">", now)
      .where(({ eb, refTuple, tuple }) => eb(refTuple("s.pod_id", "s.partition_hash"), "in", partitions.map((p) => tuple(p.podId, p.partitionHash))))
      .execute();
  }

  async markPublished(tx: Kysely<ObjectStoreDatabase>, seqs: number[], now: number): Promise<void> {
    await tx.updateTable("outbox").set({ published_at: now }).where("seq", "in", seqs).execute();
  }

  /** Removes versions past their purgeDate, with the listing rows and pointers that name them, and old announcements. */
  async purgeExpired(now: number): Promise<number> {
    await this.db.deleteFrom("outbox").where("published_at", "<", now - KEEP_PUBLISHED_MS).execute();
    return this.db.transaction().execute(async (tx) => {
      const purged = await tx.deleteFrom("objects").where("purge_at", "<=", now).returning(["pod_id", "absolute_hash"]).execute();
      for (const { pod_id, absolute_hash } of purged) {
        await tx.deleteFrom("current_objects").where("pod_id", "=", pod_id).where("absolute_hash", "=", absolute_hash).execute();
        await tx.deleteFrom("heads").where("pod_id", "=", pod_id).where("absolute_hash", "=", absolute_hash).execute();
      }
      return purged.length;
    });
  }
}

/**
 * One version: Allegro's conditional writes. A first version claims its sort key; any later one
 * moves the object's head from prevHash (the optimistic lock) and its listing row with it.
 * Returns whether a version was added that feeds should hear of.
 */
async function writeOne(tx: Transaction<ObjectStoreDatabase>, podId: number, o: ParsedObject, now: number): Promise<boolean> {
  const stored = await tx.selectFrom("objects").select("base_hash").where("pod_id", "=", podId).where("absolute_hash", "=", o.absoluteHash).executeTakeFirst();
  if (stored) return false;
  const listing = { pod_id: podId, partition_hash: o.partitionHash };

  if (o.deletion === "PHYSICAL") {
    const removed = await tx
      .deleteFrom("heads")
      .where("pod_id", "=", podId)
      .where("base_hash", "=", o.baseHash)
      .where("absolute_hash", "=", o.prevHash!)
      .where("partition_hash", "=", o.partitionHash)
      .returning("sort_key")
      .executeTakeFirst();
    if (!removed) throw conflict();
    await tx.deleteFrom("current_objects").where("pod_id", "=", podId).where("partition_hash", "=", o.partitionHash).where("absolute_hash", "=", o.prevHash!).execute();
    await tx.deleteFrom("objects").where("pod_id", "=", podId).where("base_hash", "=", o.baseHash).execute();
    return false;
  }

  let threadId = o.threadId ?? null;
  if (!o.prevHash) {
    await tx.insertInto("heads").values({ ...listing, base_hash: o.absoluteHash, absolute_hash: o.absoluteHash, sort_key: o.sortKey, thread_id: threadId, deleted: false }).execute();
    await tx.insertInto("current_objects").values({ ...listing, sort_key: o.sortKey, absolute_hash: o.absoluteHash }).execute();
  } else {
    const head = await tx
      .updateTable("heads")
      .set({ absolute_hash: o.absoluteHash, sort_key: o.sortKey, deleted: o.deletion === "LOGICAL" })
      .where("pod_id", "=", podId)
      .where("base_hash", "=", o.baseHash)
      .where("absolute_hash", "=", o.prevHash)
      .where("partition_hash", "=", o.partitionHash)
      .where("sort_key", "=", o.prevSortKey)
      .where("deleted", "=", false)
      .returning("thread_id")
      .executeTakeFirst();
    if (!head) throw conflict();
    if (o.threadId !== undefined && o.threadId !== head.thread_id) throw invalidArgument("The threadId of an object never changes");
    threadId = head.thread_id;
    const previous = tx.deleteFrom("current_objects").where("pod_id", "=", podId).where("partition_hash", "=", o.partitionHash).where("sort_key", "=", o.prevSortKey);
    if (o.deletion === "LOGICAL") {
      await previous.execute();
    } else if (o.sortKey === o.prevSortKey) {
      await tx.updateTable("current_objects").set({ absolute_hash: o.absoluteHash }).where("pod_id", "=", podId).where("partition_hash", "=", o.partitionHash).where("sort_key", "=", o.sortKey).execute();
    } else {
      await previous.execute();
      await tx.insertInto("current_objects").values({ ...listing, sort_key: o.sortKey, absolute_hash: o.absoluteHash }).execute();
    }
  }
  await tx
    .insertInto("objects")
    .values({ ...listing, absolute_hash: o.absoluteHash, base_hash: o.baseHash, sort_key: o.sortKey, thread_id: threadId, document: o.document, created_at: now, purge_at: o.purgeAt ?? null })
    .execute();
  await tx.insertInto("outbox").values({ ...listing, sort_key: o.sortKey, absolute_hash: o.absoluteHash, created_at: now, trace_context: traceContextJson() }).execute();
  return true;
}
