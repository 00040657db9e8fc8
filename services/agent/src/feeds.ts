import { createHash, randomBytes } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type ConsumerInfo, type JsMsg } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { nanos } from "@nats-io/transport-node";
import { invalidArgument, unavailable, type Bus } from "@symphony/kit";

// Datafeeds are durable JetStream pull consumers on the events stream, one per feed, filtered on
// the owner's subject: all state lives in JetStream, so any agent replica serves any feed.
const ACK_WAIT_MS = 30_000;
const MAX_BATCH = 100;
// Untagged v5 ids have the form the Python BDK looks for; a tagged feed's id is its tag, which is
// what the Java BDK looks for (id == tag, type fanout), so a tagged bot finds its feed after a
// restart. v4 ids are plain; the kind in the consumer's description keeps the APIs apart.
const TAG = /^[\w.@-]{1,100}$/;
const FEED_ID = { v5: { test: (id: string) => /^[^\s_]+_f(_[^\s_]+)?$/.test(id) || TAG.test(id) }, v4: /^[0-9a-f]{24}$/ };
const DESCRIBED_TTL_MS = 30_000;
const MAX_DESCRIBED = 20_000;

export type FeedKind = keyof typeof FEED_ID;

export interface Feed {
  id: string;
  kind: FeedKind;
  owner: number;
  createdAt: number;
  consumer: string;
  /** The consumer as JetStream last described it (reads start from it without another lookup). */
  info?: ConsumerInfo;
}

interface Description {
  owner: number;
  feedId: string;
  kind: FeedKind;
  createdAt: number;
}

export const feedGone = () => invalidArgument("The datafeed does not exist or has expired; create a new one");

/**
 * Only JetStream's own "no such consumer" means the feed is gone (a 400 makes the official clients
 * re-create it and lose what it held); a NATS hiccup is a retryable 503.
 */
function natsFailure(err: unknown): Error {
  if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return feedGone();
  return unavailable("Datafeeds are temporarily unavailable, retry later");
}

export class FeedStore {
  private readonly described = new Map<string, { info: ConsumerInfo; until: number }>();

  constructor(
    private readonly bus: Bus,
    private readonly streamName: string,
    private readonly subjectPrefix: string,
    private readonly maxPerUser: number,
    /** A feed nobody reads for this long is deleted by JetStream (Symphony: 30 minutes). */
    private readonly idleTtlMs = 30 * 60_000,
  ) {}

  private consumerName(owner: number, feedId: string): string {
    return `feed_${owner}_${createHash("sha256").update(feedId).digest("hex").slice(0, 20)}`;
  }

  async list(owner: number): Promise<Feed[]> {
    const feeds: Feed[] = [];
    for await (const info of this.bus.jsm.consumers.list(this.streamName)) {
      if (!info.name.startsWith(`feed_${owner}_`)) continue;
      const d = JSON.parse(info.config.description ?? "{}") as Description;
      if (d.owner === owner) feeds.push({ id: d.feedId, kind: d.kind, owner, createdAt: d.createdAt, consumer: info.name });
    }
    return feeds.sort((a, b) => a.createdAt - b.createdAt);
  }

  async create(owner: number, kind: FeedKind, tag = ""): Promise<Feed> {
    if (tag && !TAG.test(tag)) throw invalidArgument("tag must be 1 to 100 letters, digits or dashes");
    const existing = await this.list(owner);
    const random = randomBytes(12).toString("hex");
    const id = kind === "v4" ? random : tag || `${random}_f`;
    const same = existing.find((f) => f.id === id);
    if (same) return same;
    if (existing.length >= this.maxPerUser) throw invalidArgument(`A user may have at most ${this.maxPerUser} datafeeds`);
    const createdAt = Date.now();
    const consumer = this.consumerName(owner, id);
    await this.bus.jsm.consumers.add(this.streamName, {
      durable_name: consumer,
      description: JSON.stringify({ owner, feedId: id, kind, createdAt } satisfies Description),
      filter_subject: `${this.subjectPrefix}.events.user.${owner}.>`,
      deliver_policy: DeliverPolicy.New,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ACK_WAIT_MS),
      inactive_threshold: nanos(this.idleTtlMs),
    });
    return { id, kind, owner, createdAt, consumer };
  }

  /**
   * The caller's feed; another user's feed or a missing one is the same 400. The consumer's name
   * derives from owner and feed id, so a described consumer is remembered for a while: asking
   * JetStream on every read would queue hundreds of API calls a second on its API handler.
   */
  async get(owner: number, feedId: string, kind: FeedKind): Promise<Feed> {
    if (!FEED_ID[kind].test(feedId) || feedId.length > 128) throw feedGone();
    const consumer = this.consumerName(owner, feedId);
    const known = this.described.get(consumer);
    const info =
      known && known.until > Date.now()
        ? known.info
        : await this.bus.jsm.consumers.info(this.streamName, consumer).catch((err: unknown) => {
            throw natsFailure(err);
          });
    const d = JSON.parse(info.config.description ?? "{}") as Description;
    if (d.owner !== owner || d.feedId !== feedId || d.kind !== kind) throw feedGone();
    if (!known || known.info !== info) {
      if (this.described.size >= MAX_DESCRIBED) this.described.clear();
      // Never past the idle TTL: a feed JetStream forgot must answer 400 on its next read.
      this.described.set(consumer, { info, until: Date.now() + Math.min(DESCRIBED_TTL_MS, this.idleTtlMs / 2) });
    }
    return { id: feedId, kind, owner, createdAt: d.createdAt, consumer, info };
  }

  async delete(feed: Feed): Promise<void> {
    this.described.delete(feed.consumer);
    await this.bus.jsm.consumers.delete(this.streamName, feed.consumer);
  }

  /** Acknowledges the events of a previous answer; a malformed or foreign ackId is a 400. */
  async ack(feed: Feed, ackId: string): Promise<void> {
    if (!ackId) return;
    const replies = decodeAckId(ackId, `.${this.streamName}.${feed.consumer}.`);
    for (const reply of replies) this.bus.nc.publish(reply, "+ACK");
    await this.bus.nc.flush();
  }

  /**
   * Waits up to pollMs for events: a pull of one event completes at once when events wait and
   * long-polls otherwise; the events that arrived with it (the consumer says how many) share the
   * answer. A pull is never cut short: messages a stopped pull had in flight would only come back
   * after the 30 s ack wait.
   */
  async next(feed: Feed, pollMs: number, limit = MAX_BATCH): Promise<{ messages: JsMsg[]; ackId: string }> {
    const info = feed.info ?? (await this.bus.jsm.consumers.info(this.streamName, feed.consumer).catch((err: unknown) => {
      throw natsFailure(err);
    }));
    const consumer = this.bus.js.consumers.getConsumerFromInfo(info);
    const messages: JsMsg[] = [];
    try {
      const m = await consumer.next({ expires: Math.max(1000, pollMs) });
      if (m) {
        messages.push(m);
        const more = Math.min(m.info.pending, limit - 1, MAX_BATCH - 1);
        if (more > 0) for await (const n of await consumer.fetch({ max_messages: more, expires: 1000 })) messages.push(n);
      }
    } catch (err) {
      // A pull on a consumer deleted meanwhile (elsewhere, or idle too long) only times out:
      // ask JetStream whether the feed still exists, so a gone feed is the 400 clients expect.
      this.described.delete(feed.consumer);
      await this.bus.jsm.consumers.info(this.streamName, feed.consumer).catch((e: unknown) => {
        throw natsFailure(e);
      });
      throw natsFailure(err);
    }
    // The ack subject travels in the ackId, so whichever replica serves the next read can ack.
    // The client's JsMsg type hides it, its implementation exposes it.
    const replies = messages.map((m) => (m as unknown as { reply: string }).reply);
    // A quiet poll has an ackId too (of nothing): the Python BDK reads it from every answer.
    return { messages, ackId: encodeAckId(replies) };
  }
}

function encodeAckId(replies: string[]): string {
  return deflateRawSync(Buffer.from(JSON.stringify(replies))).toString("base64url");
}

function decodeAckId(ackId: string, mustContain: string): string[] {
  const malformed = () => invalidArgument("The format of the provided ackId is incorrect");
  if (ackId.length > 64 * 1024 || !/^[A-Za-z0-9_-]+$/.test(ackId)) throw malformed();
  let replies: unknown;
  try {
    replies = JSON.parse(inflateRawSync(Buffer.from(ackId, "base64url"), { maxOutputLength: 1024 * 1024 }).toString());
  } catch {
    throw malformed();
  }
  if (!Array.isArray(replies) || replies.length > MAX_BATCH) throw malformed();
  for (const r of replies) {
    if (typeof r !== "string" || !r.startsWith("$JS.ACK.") || !r.includes(mustContain) || !/^[\w.$-]+$/.test(r)) throw malformed();
  }
  return replies as string[];
}

/**
 * Where v4 feeds keep the ackId of their last answer (the v4 API has none: each read acknowledges
 * the previous one). In a NATS KV bucket, so any agent replica serves the next read.
 */
export class V4AckState {
  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus, bucket: string, idleTtlMs = 30 * 60_000): Promise<V4AckState> {
    return new V4AckState(await new Kvm(bus.js).create(bucket, { ttl: idleTtlMs, history: 1 }));
  }

  async last(feed: Feed): Promise<string> {
    return (await this.kv.get(feed.consumer))?.string() ?? "";
  }

  async remember(feed: Feed, ackId: string): Promise<void> {
    await this.kv.put(feed.consumer, ackId);
  }
}
