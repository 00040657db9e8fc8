import { SpanKind } from "@opentelemetry/api";
import { contextFromCarrier, inSpan, RelayLoop, SPAN, type Bus, type Logger } from "@symphony/kit";
import { ObjectNotification } from "@symphony/proto/objectstore/v1/objectstore_service";
import { feedSubject, type FeedTopology } from "./feeds.js";
import type { ObjectStore, OutboxRow } from "./store.js";

type Subscription = Awaited<ReturnType<ObjectStore["subscriptions"]>>[number];

const BATCH = 256;

/**
 * Announces committed versions to the feeds subscribed to their partition (one copy per feed),
 * then marks the outbox rows published in the transaction that locked them. A crash between
 * publish and commit republishes the rows, and JetStream drops the duplicates by message id,
 * so a committed object is never lost to its feeds.
 */
export class OutboxRelay {
  private readonly loop: RelayLoop;

  constructor(
    private readonly store: ObjectStore,
    private readonly bus: Bus,
    private readonly topology: FeedTopology,
    logger: Logger,
  ) {
    this.loop = new RelayLoop(() => this.publishBatch(), logger, { batch: BATCH, coalesceMs: 0 });
  }

  start(): void {
    this.loop.start();
  }

  /** A transaction committed versions: publish them now rather than at the next poll. */
  wake(): void {
    this.loop.wake();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  async publishBatch(): Promise<number> {
    return this.store.db.transaction().execute(async (tx) => {
      const rows = await this.store.unpublished(tx, BATCH);
      if (rows.length === 0) return 0;
      const subscriptions = await this.store.subscriptions(tx, rows.map((r) => ({ podId: r.pod_id, partitionHash: r.partition_hash })), Date.now());
      await Promise.all(rows.map((row) => this.announce(row, subscriptions)));
      await this.store.markPublished(tx, rows.map((r) => r.seq), Date.now());
      return rows.length;
    });
  }

  /** One version to each feed subscribed to its partition, as a span of the trace of the request that wrote it. */
  private announce(row: OutboxRow, subscriptions: Subscription[]): Promise<unknown> {
    const feeds = new Map<string, Buffer>();
    for (const s of subscriptions) {
      if (s.pod_id === row.pod_id && s.partition_hash.equals(row.partition_hash) && row.sort_key.startsWith(s.sort_key_prefix)) {
        feeds.set(s.feed_hash.toString("base64url"), s.feed_hash);
      }
    }
    return inSpan(
      SPAN.outboxPublish,
      { "messaging.batch.message_count": feeds.size },
      () => Promise.all([...feeds].map(([feedKey, feedHash]) => this.publish(row, feedKey, feedHash))),
      { kind: SpanKind.PRODUCER, parent: contextFromCarrier(row.trace_context ?? undefined) },
    );
  }

  private publish(row: OutboxRow, feedKey: string, feedHash: Buffer): Promise<unknown> {
    const notification = ObjectNotification.encode({
      podId: row.pod_id,
      partitionHash: row.partition_hash,
      sortKey: row.sort_key,
      absoluteHash: row.absolute_hash,
    }).finish();
    return this.bus.js.publish(feedSubject(this.topology, row.pod_id, row.partition_hash, feedHash), notification, { msgID: `${row.seq}:${feedKey}` });
  }
}
