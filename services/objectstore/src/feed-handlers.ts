import type { JsMsg } from "@nats-io/jetstream";
import { invalidArgument, isServiceError, permissionDenied, status, type UnaryHandlers } from "@symphony/kit";
import type { TenantPrincipal } from "./pods.js";
import { ObjectNotification, type FeedObject, type ObjectStoreServiceServer } from "@symphony/proto/objectstore/v1/objectstore_service";
import { MODEL_VERSION, SHA256_HASH_TYPE, TYPES } from "@symphony/sdk/hash";
import type { Access } from "./access.js";
import { DEFAULT_VISIBILITY_MS, feedGone } from "./feeds.js";
import { parseGrants } from "./grants.js";
import { documentJson, parseIdObject, requireHash, requireSortKey } from "./objects.js";
import { accessOf, type ObjectStoreDeps } from "./context.js";
import type { FeedRow } from "./store.js";

// Allegro's bounds: a feed lives 60 s to 5 days unread (default 5 days); SQS's for reads.
const MIN_EXPIRY_MS = 60_000;
const MAX_EXPIRY_MS = 5 * 24 * 3_600_000;
const MAX_ITEMS = 10;
const DEFAULT_ITEMS = 10;
const MAX_WAIT_SECONDS = 20;
const MAX_VISIBILITY_SECONDS = 12 * 3600;
const MAX_SELECTIONS = 100;
const MAX_RECEIPTS = 100;

type Handlers = Pick<UnaryHandlers<ObjectStoreServiceServer, TenantPrincipal>, "upsertFeed" | "deleteFeed" | "readFeed">;

function bounded(value: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw invalidArgument(`${field} must be between ${min} and ${max}`);
  return value;
}

export function feedHandlers(deps: ObjectStoreDeps): Handlers {
  const { store, feeds } = deps;

  async function readableFeed(access: Access, feedHash: Buffer): Promise<FeedRow> {
    const { podId, userId } = access.caller;
    const feed = await store.feed(podId, feedHash);
    if (!feed) throw feedGone();
    if (feed.owner_id !== userId && !(await store.mayReadFeed(podId, feedHash, userId))) throw permissionDenied("The caller may not read this feed");
    return feed;
  }

  /** The objects of delivered messages the caller may read; the others are acknowledged and skipped. */
  async function deliverable(access: Access, messages: JsMsg[]): Promise<{ message: JsMsg; document: string }[]> {
    const notes = messages.map((m) => ({ message: m, note: ObjectNotification.decode(m.data) }));
    const rows = await store.objects(access.caller.podId, notes.map((n) => Buffer.from(n.note.absoluteHash)), Date.now());
    const byHash = new Map(rows.map((r) => [r.absolute_hash.toString("base64url"), r]));
    const out: { message: JsMsg; document: string }[] = [];
    for (const { message, note } of notes) {
      const row = byHash.get(Buffer.from(note.absoluteHash).toString("base64url"));
      if (note.podId !== access.caller.podId || !row || (await access.readRefusal(row.partition_hash, row.thread_id))) message.ack();
      else out.push({ message, document: row.document });
    }
    return out;
  }

  return {
    async upsertFeed(req, ctx) {
      const access = accessOf(deps, ctx);
      const { podId, userId } = access.caller;
      const id = parseIdObject(req.feedId, "feedId");
      if (id.userId !== userId) throw permissionDenied("The provided ID object MUST contain the callers userId");
      const expiryMs = bounded(req.expiryTime ?? MAX_EXPIRY_MS, MIN_EXPIRY_MS, MAX_EXPIRY_MS, "expiryTime");
      const selections = [
        ...req.partitionSelections.map((s) => ({ partitionHash: requireHash(s.partitionHash, "partitionSelections.partitionHash"), prefix: s.sortKeyPrefix ? requireSortKey(s.sortKeyPrefix, "sortKeyPrefix") : "" })),
        ...req.partitionHashes.map((h) => ({ partitionHash: requireHash(h, "partitionHashes"), prefix: "" })),
      ];
      if (selections.length > MAX_SELECTIONS) throw invalidArgument(`A feed selects at most ${MAX_SELECTIONS} partitions`);
      for (const s of selections) await access.requireListing(s.partitionHash);
      const readers = parseGrants(req.userPermissions, ["READ"]).map((g) => g.userId);
      const consumer = await feeds.ensure(podId, id.hash, expiryMs);
      await store.upsertFeed(podId, { hash: id.hash, ownerId: userId, idObject: id.document, consumer, expiryMs }, selections, readers, Date.now());
      return { feed: { type: TYPES.feed, version: MODEL_VERSION, hashType: SHA256_HASH_TYPE, id: documentJson(id.document), queueName: consumer } };
    },

    async deleteFeed(req, ctx) {
      const access = accessOf(deps, ctx);
      const feedHash = requireHash(req.feedHash, "feedHash");
      const feed = await readableFeed(access, feedHash);
      if (feed.owner_id !== access.caller.userId) throw permissionDenied("Only the owner of a feed may delete it");
      await feeds.delete(feed.consumer);
      await store.deleteFeed(access.caller.podId, feedHash);
      return {};
    },

    async readFeed(req, ctx) {
      const access = accessOf(deps, ctx);
      const { podId } = access.caller;
      const feedHash = requireHash(req.feedHash, "feedHash");
      const maxItems = bounded(req.maxItems ?? DEFAULT_ITEMS, 0, MAX_ITEMS, "maxItems");
      const waitSeconds = bounded(req.waitTimeSeconds, 0, MAX_WAIT_SECONDS, "waitTimeSeconds");
      const visibilityMs = bounded(req.visibilityTimeout ?? DEFAULT_VISIBILITY_MS / 1000, 1, MAX_VISIBILITY_SECONDS, "visibilityTimeout") * 1000;
      if (req.delete.length > MAX_RECEIPTS || req.extend.length > MAX_RECEIPTS) throw invalidArgument(`At most ${MAX_RECEIPTS} receipts per list`);
      const extend = req.extend.map((e) => ({ receipt: e.receiptHandle, seconds: bounded(e.visibilityTimeout, 0, MAX_VISIBILITY_SECONDS, "extend.visibilityTimeout") }));
      const feed = await readableFeed(access, feedHash);

      const now = Date.now();
      // Reading keeps a feed alive; refreshing once half its lifetime has passed spares a write per read.
      if (feed.expires_at - now < feed.expiry_ms / 2) await store.touchFeed(podId, feedHash, now + feed.expiry_ms);
      try {
        if (req.delete.length > 0) await feeds.ack(feed.consumer, req.delete.map((d) => d.receiptHandle));
        if (extend.length > 0) await feeds.extend(feed.consumer, extend);
        if (maxItems === 0) return { objects: [] };
        const messages = await deliverable(access, await feeds.read(feed.consumer, maxItems, waitSeconds * 1000));
        if (visibilityMs !== DEFAULT_VISIBILITY_MS) for (const { message } of messages) message.nak(visibilityMs);
        return {
          objects: messages.map(({ message, document }): FeedObject => ({ messageId: String(message.seq), receiptHandle: feeds.receiptOf(message), payload: documentJson(document) })),
        };
      } catch (err) {
        // JetStream removed the consumer after it went unread for its expiry time.
        if (isServiceError(err) && err.code === status.NOT_FOUND) await store.deleteFeed(podId, feedHash);
        throw err;
      }
    },
  };
}
