import type { Bus, Logger } from "@symphony/kit";
import { ObjectNotification } from "@symphony/proto/objectstore/v1/objectstore_service";
import { feedSubject, type FeedTopology } from "./feeds.js";
import type { ObjectStore, OutboxRow } from "./store.js";

const BATCH = 256;
const IDLE_POLL_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;

/**
 * Announces committed versions to the feeds subscribed to their partition (one copy per feed),
 * then marks the outbox rows published in the transaction that locked them. A crash between
 * publish and commit republishes the rows, and JetStream drops the duplicates by message id,
 * so a committed object is never lost to its feeds.
 */
export class OutboxRelay {
  private stopped = false;
  private pending = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly bus: Bus,
    private readonly topology: FeedTopology,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** A transaction committed versions: publish them now rather than at the next poll. */
  wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      this.pending = false;
      try {
        const sent = await this.publishBatch();
        backoff = 100;
        // Rows committed while publishing go out at once; otherwise poll for rows other replicas (or a crash) left.
        if (sent === BATCH || this.pending) continue;
        await this.sleep(IDLE_POLL_MS);
      } catch (err) {
        this.logger.warn({ err }, "object outbox relay could not publish; retrying");
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  async publishBatch(): Promise<number> {
    return this.store.db.transaction().execute(async (tx) => {
      const rows = await this.store.unpublished(tx, BATCH);
      if (rows.length === 0) return 0;
      const subscriptions = await this.store.subscriptions(tx, rows.map((r) => ({ podId: r.pod_id, partitionHash: r.partition_hash })), Date.now());
      const acks: Promise<unknown>[] = [];
      for (const row of rows) {
        const feeds = new Map<string, Buffer>();
        for (const s of subscriptions) {
          if (s.pod_id === row.pod_id && s.partition_hash.equals(row.partition_hash) && row.sort_key.startsWith(s.sort_key_prefix)) {
            feeds.set(s.feed_hash.toString("base64url"), s.feed_hash);
          }
        }
        for (const [feedKey, feedHash] of feeds) acks.push(this.publish(row, feedKey, feedHash));
      }
      await Promise.all(acks);
      await this.store.markPublished(tx, rows.map((r) => r.seq), Date.now());
      return rows.length;
    });
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
