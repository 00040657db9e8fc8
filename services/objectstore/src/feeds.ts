import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, StorageType, type ConsumerConfig, type JsMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { ensureStream, invalidArgument, notFound, unavailable, type Bus } from "@symphony/kit";

// Feeds are durable JetStream pull consumers, one per feed, each filtered on its own subjects:
// the outbox relay publishes one copy of every version to each feed subscribed to its partition
// (fan-out on write, as the pod does for datafeeds; NATS 2.9 has no multi-subject filters).
// JetStream's ack wait is the SQS visibility timeout Allegro's clients expect.
export const DEFAULT_VISIBILITY_MS = 30_000;
const ACK_TIMEOUT_MS = 5_000;

export interface FeedTopology {
  streamName: string;
  subjectPrefix: string;
}

/** `<prefix>.objects.<podId>.<partitionHash>.<feedHash>`, hashes in URL-safe Base64. */
export const feedSubject = (t: FeedTopology, podId: number, partitionHash: Buffer, feedHash: Buffer) =>
  `${t.subjectPrefix}.objects.${podId}.${partitionHash.toString("base64url")}.${feedHash.toString("base64url")}`;

const feedFilter = (t: FeedTopology, podId: number, feedHash: Buffer) => `${t.subjectPrefix}.objects.${podId}.*.${feedHash.toString("base64url")}`;

export function ensureObjectsStream(bus: Bus, t: FeedTopology): Promise<void> {
  return ensureStream(bus, {
    name: t.streamName,
    subjects: [`${t.subjectPrefix}.objects.>`],
    storage: StorageType.File,
    // Republishing an outbox row after a crash is dropped by JetStream within this window.
    duplicate_window: nanos(2 * 60_000),
    // Longer than the longest a feed may stay unread (5 days).
    max_age: nanos(7 * 24 * 3_600_000),
  });
}

export const feedGone = () => notFound("The feed does not exist or has expired");
const malformedReceipt = () => invalidArgument("receiptHandle is not one this feed handed out");

function natsFailure(err: unknown): Error {
  if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return feedGone();
  return unavailable("Feeds are temporarily unavailable, retry later");
}

/** The JetStream side of feeds: consumers, reads, acknowledgements and visibility changes. */
export class FeedQueues {
  constructor(
    private readonly bus: Bus,
    readonly topology: FeedTopology,
  ) {}

  consumerName = (podId: number, feedHash: Buffer) => `objfeed_${podId}_${feedHash.toString("base64url")}`;

  /** Creates the feed's consumer, or updates how long it may stay unread. */
  async ensure(podId: number, feedHash: Buffer, expiryMs: number): Promise<string> {
    const name = this.consumerName(podId, feedHash);
    const config: Partial<ConsumerConfig> = {
      durable_name: name,
      filter_subject: feedFilter(this.topology, podId, feedHash),
      deliver_policy: DeliverPolicy.New,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(DEFAULT_VISIBILITY_MS),
      inactive_threshold: nanos(expiryMs),
    };
    try {
      const info = await this.bus.jsm.consumers.info(this.topology.streamName, name);
      if (info.config.inactive_threshold !== config.inactive_threshold) {
        await this.bus.jsm.consumers.update(this.topology.streamName, name, { inactive_threshold: config.inactive_threshold });
      }
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw natsFailure(err);
      await this.bus.jsm.consumers.add(this.topology.streamName, config);
    }
    return name;
  }

  async delete(consumer: string): Promise<void> {
    await this.bus.jsm.consumers.delete(this.topology.streamName, consumer).catch((err: unknown) => {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw natsFailure(err);
    });
  }

  /** The JetStream reply subject a receipt stands for, if it belongs to this consumer. */
  private reply(consumer: string, receipt: string): string {
    if (receipt.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(receipt)) throw malformedReceipt();
    const reply = Buffer.from(receipt, "base64url").toString();
    if (!reply.startsWith("$JS.ACK.") || !reply.includes(`.${this.topology.streamName}.${consumer}.`) || !/^[\w.$-]+$/.test(reply)) throw malformedReceipt();
    return reply;
  }

  /** Acknowledges (SQS: deletes) messages; waits until JetStream has taken each acknowledgement. */
  async ack(consumer: string, receipts: string[]): Promise<void> {
    const replies = receipts.map((r) => this.reply(consumer, r));
    await Promise.all(replies.map((reply) => this.bus.nc.request(reply, "+ACK", { timeout: ACK_TIMEOUT_MS }))).catch((err: unknown) => {
      throw natsFailure(err);
    });
  }

  /** Makes messages invisible for `seconds` from now (0: redeliver at once), as SQS ChangeMessageVisibility. */
  async extend(consumer: string, changes: { receipt: string; seconds: number }[]): Promise<void> {
    for (const { receipt, seconds } of changes) {
      const reply = this.reply(consumer, receipt);
      this.bus.nc.publish(reply, seconds > 0 ? `-NAK ${JSON.stringify({ delay: nanos(seconds * 1000) })}` : "-NAK");
    }
    await this.bus.nc.flush();
  }

  /**
   * Waits up to waitMs (at least a second, so redeliveries are seen) for up to max messages. With
   * messages already waiting it pulls exactly those; a pull is never cut short, as messages a
   * stopped pull had in flight would only come back after the visibility timeout.
   */
  async read(consumer: string, max: number, waitMs: number): Promise<JsMsg[]> {
    const info = await this.bus.jsm.consumers.info(this.topology.streamName, consumer).catch((err: unknown) => {
      throw natsFailure(err);
    });
    const c = this.bus.js.consumers.getConsumerFromInfo(info);
    const expires = Math.max(1000, waitMs);
    const waiting = Math.min(info.num_pending, max);
    const messages: JsMsg[] = [];
    if (waiting > 0) {
      for await (const m of await c.fetch({ max_messages: waiting, expires })) messages.push(m);
      return messages;
    }
    const first = await c.next({ expires });
    if (!first) return messages;
    messages.push(first);
    const more = Math.min(first.info.pending, max - 1);
    if (more > 0) for await (const m of await c.fetch({ max_messages: more, expires: 1000 })) messages.push(m);
    return messages;
  }

  /** The receipt of a delivered message: its JetStream reply subject, which any replica can answer. */
  receiptOf(m: JsMsg): string {
    // The client's JsMsg type hides the reply subject; its implementation exposes it.
    return Buffer.from((m as unknown as { reply: string }).reply).toString("base64url");
  }
}
