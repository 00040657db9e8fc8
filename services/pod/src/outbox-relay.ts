import { SpanKind } from "@opentelemetry/api";
import { headers as natsHeaders, nanos } from "@nats-io/transport-node";
import { StorageType } from "@nats-io/jetstream";
import {
  ATTR,
  contextFromCarrier,
  ensureStream,
  injectIntoHeaders,
  inSpan,
  maxEventPayload,
  meter,
  publishEach,
  RelayLoop,
  reportFailures,
  SPAN,
  type Bus,
  type Logger,
} from "@symphony/kit";
import { SUBJECTS } from "@symphony/proto/contracts";
import { Event } from "@symphony/proto/events/v1/events";
import { fitToBus } from "./event-fit.js";
import type { OutboxRow } from "./outbox-store.js";
import type { PodStores } from "./stores.js";

const BATCH = 256;
const COALESCE_MS = 5;
// JetStream drops a republished event it still holds within this window (Nats-Msg-Id).
const DUPLICATE_WINDOW_MS = 2 * 60_000;
// A published row is kept this long (replay, inspection), then deleted.
const KEEP_PUBLISHED_MS = 24 * 3_600_000;
const PRUNE_EVERY_MS = 10 * 60_000;

export interface EventsTopology {
  /** JetStream stream holding every recipient's events. */
  streamName: string;
  /** Subject prefix; events go to `<prefix>.events.user.<userId>.<TYPE>`. */
  subjectPrefix: string;
}

const backlog = meter.createObservableGauge("symphony.pod.outbox.backlog", {
  description: "Committed events not yet published to JetStream",
});

export function ensureEventsStream(bus: Bus, t: EventsTopology): Promise<void> {
  return ensureStream(bus, {
    name: t.streamName,
    subjects: [SUBJECTS.allEvents(t.subjectPrefix)],
    storage: StorageType.File,
    // Republishing an outbox row after a crash is dropped by JetStream within this window.
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    max_age: nanos(7 * 24 * 3_600_000),
  });
}

/**
 * Publishes committed outbox rows to JetStream, one copy per recipient the row names (fan-out on write),
 * then marks them published in the same transaction that locked them. A crash between
 * publish and commit republishes the rows, and JetStream drops the duplicates by message id.
 * A row the bus refuses is retried a few times, spaced out, then moved to the dead letters with
 * the reason; the rows after it go out meanwhile. A message event larger than the server's
 * max_payload goes out by reference (see fitToBus); any other row that large goes there at once.
 */
export class OutboxRelay {
  private readonly loop: RelayLoop;
  private pruner: NodeJS.Timeout | undefined;

  constructor(
    private readonly stores: PodStores,
    private readonly bus: Bus,
    private readonly topology: EventsTopology,
    private readonly logger: Logger,
  ) {
    // Events committed within COALESCE_MS leave in one batch: a few ms of datafeed latency buys
    // far fewer relay transactions under load.
    this.loop = new RelayLoop(() => this.publishBatch(), logger, { batch: BATCH, coalesceMs: COALESCE_MS });
  }

  start(): void {
    // Fails at start, not on the first event, when the server reports no limit.
    this.logger.info({ maxEventPayload: maxEventPayload(this.bus) }, "outbox relay started; larger events go to the dead letters");
    this.loop.start();
    this.pruner = setInterval(() => {
      this.stores.outbox.prunePublished(Date.now() - KEEP_PUBLISHED_MS).catch((err: unknown) => this.logger.warn({ err }, "could not prune the outbox"));
    }, PRUNE_EVERY_MS);
    this.pruner.unref();
    // Without Postgres there is no figure to report; the scrape shows the gauge missing.
    backlog.addCallback((r) => this.stores.outbox.backlog().then((n) => r.observe(n), () => undefined));
  }

  /** A transaction committed events. */
  wake(): void {
    this.loop.wake();
  }

  /**
   * Publishes again what was published within JetStream's duplicate window. NATS acknowledges a
   * write before it reaches the disk (file store sync), so a NATS server that crashed may come back
   * without the last events; republished ones it still has are dropped as duplicates.
   */
  async replayRecent(): Promise<number> {
    let replayed = 0;
    let after = 0;
    const since = Date.now() - DUPLICATE_WINDOW_MS;
    for (;;) {
      const rows = await this.stores.outbox.publishedSince(since, after, BATCH);
      const limit = maxEventPayload(this.bus);
      await Promise.all(rows.map((row) => this.publishRow({ ...row, payload: fitToBus(row.payload, limit) })));
      replayed += rows.length;
      if (rows.length < BATCH) return replayed;
      after = rows.at(-1)!.seq;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.pruner);
    await this.loop.stop();
  }

  /** One event to each recipient, as a span of the trace of the request that wrote it. */
  private publishRow(row: Pick<OutboxRow, "event_id" | "payload" | "recipients" | "trace_context">): Promise<unknown> {
    const event = Event.decode(row.payload);
    const attributes = { [ATTR.eventType]: event.type, [ATTR.streamId]: event.streamId, "messaging.batch.message_count": row.recipients.length };
    return inSpan(
      SPAN.outboxPublish,
      attributes,
      () => {
        const headers = natsHeaders();
        injectIntoHeaders(headers);
        return Promise.all(
          row.recipients.map((userId) =>
            this.bus.js.publish(SUBJECTS.userEvent(this.topology.subjectPrefix, userId, event.type), row.payload, { msgID: `${row.event_id}:${userId}`, headers }),
          ),
        );
      },
      { kind: SpanKind.PRODUCER, parent: contextFromCarrier(row.trace_context ?? undefined) },
    );
  }

  async publishBatch(): Promise<number> {
    return this.stores.inTransaction(async ({ outbox, deadLetters }) => {
      const now = Date.now();
      const rows = await outbox.lockUnpublished(BATCH, now);
      if (rows.length === 0) return 0;
      // Read per batch: after a reconnect the server, and its limit, may be another.
      const limit = maxEventPayload(this.bus);
      const fitted = rows.map((row) => ({ ...row, payload: fitToBus(row.payload, limit) }));
      const { published, failed } = await publishEach(fitted, {
        publish: (row) => this.publishRow(row),
        size: (row) => row.payload.length,
        limit,
        probe: () => this.bus.jsm.getAccountInfo(),
      });
      if (published.length > 0) await outbox.markPublished(published.map((r) => r.seq), now);
      reportFailures("pod", await deadLetters.recordFailures(failed, now), this.logger);
      return rows.length;
    });
  }
}
