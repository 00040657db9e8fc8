import { SpanKind, trace } from "@opentelemetry/api";
import type { JsMsg } from "@nats-io/jetstream";
import {
  ATTR,
  contextFromHeaders,
  inSpan,
  invalidArgument,
  meter,
  notFound,
  SPAN,
  type UnaryHandlers,
} from "@symphony/kit";
import type { AgentServiceServer } from "@symphony/proto/agent/v1/agent_service";
import type { V4Event } from "@symphony/proto/agent/v1/events";
import type { ContentKeyCache } from "./content-keys.js";
import { readForFeed, skipEvent, type EventReaderDeps } from "./event-reader.js";
import type { ProfileCache } from "./profiles.js";
import type { FeedStore, V4AckState } from "./feeds.js";
import { actingBot, type ActingBot } from "./principal.js";
import { Event } from "@symphony/proto/events/v1/events";
import { toV4Event, usersOf } from "./v4-events.js";

type DatafeedHandlers = Pick<
  UnaryHandlers<AgentServiceServer>,
  "createDatafeed" | "listDatafeeds" | "deleteDatafeed" | "readDatafeed" | "createDatafeedV4" | "readDatafeedV4" | "adminListDatafeeds" | "adminDeleteDatafeed"
>;

export interface DatafeedDeps extends EventReaderDeps {
  feeds: FeedStore;
  v4Acks: V4AckState;
  keys: ContentKeyCache;
  pollMs: number;
  profiles: ProfileCache;
}

const lag = meter.createHistogram("symphony.datafeed.lag", {
  unit: "s",
  description: "Time from an event's commit in the pod to its delivery in a datafeed read",
  advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] },
});

/** An event as the pod wrote it, or undefined for bytes that are not one. */
function decodeEvent(data: Uint8Array): Event | undefined {
  try {
    return Event.decode(data);
  } catch {
    return undefined;
  }
}

export function datafeedHandlers(deps: DatafeedDeps): DatafeedHandlers {
  const { feeds } = deps;
  /** The user whose feeds an operator manages (the call policy checked the operator's roles). */
  const feedOwner = (userId: number): number => {
    if (!Number.isSafeInteger(userId) || userId <= 0) throw invalidArgument("userId must be a user id");
    return userId;
  };

  /**
   * Decrypted V4Events, with the profiles of initiators and affected users in one pod call. Each
   * delivery continues the trace of the request that caused the event (its context travels in the
   * NATS headers) and links to this read.
   */
  const toV4Events = async (c: ActingBot, feedId: string, messages: JsMsg[]): Promise<V4Event[]> => {
    const decoded = messages.map((m) => ({ m, e: decodeEvent(m.data) }));
    // Named by its JetStream sequence: a payload that is not an event has no id of its own.
    for (const { m, e } of decoded) if (!e) skipEvent(deps.logger, feedId, c, { id: `seq:${m.seq}`, type: "", streamId: "" }, "CORRUPT_EVENT");
    const readable = decoded.filter((d): d is { m: JsMsg; e: Event } => d.e !== undefined);
    const ids = usersOf(readable.map((d) => d.e));
    const profiles = await deps.profiles.get(ids, c.sessionToken);
    const read = trace.getActiveSpan()?.spanContext();
    const out: V4Event[] = [];
    for (const { m, e } of readable) {
      const attributes = { [ATTR.feedId]: feedId, [ATTR.eventType]: e.type, [ATTR.streamId]: e.streamId, [ATTR.userId]: c.principal.userId };
      const messageId = (e.messageSent ?? e.sharedPost)?.messageId;
      const v4 = await inSpan(
        SPAN.datafeedDeliver,
        messageId ? { ...attributes, [ATTR.messageId]: messageId } : attributes,
        async () => {
          const { content, skipped } = await readForFeed(deps, c, feedId, e, profiles.get(e.initiatorUserId));
          return skipped ? undefined : toV4Event(e, profiles, content);
        },
        { kind: SpanKind.CONSUMER, parent: contextFromHeaders(m.headers), links: read ? [{ context: read }] : [] },
      );
      lag.record(Math.max(0, Date.now() - e.timestamp) / 1000, { [ATTR.eventType]: e.type });
      if (v4) out.push(v4);
    }
    return out;
  };

  return {
    async createDatafeed(req, ctx) {
      const c = actingBot(ctx);
      const feed = await feeds.create(c.principal.userId, "v5", req.tag);
      return { datafeed: { id: feed.id, createdAt: feed.createdAt, type: "fanout" } };
    },

    async listDatafeeds(req, ctx) {
      const c = actingBot(ctx);
      const all = (await feeds.list(c.principal.userId)).filter((f) => f.kind === "v5");
      const tagged = req.tag ? all.filter((f) => f.id === req.tag) : all;
      return { datafeeds: tagged.map((f) => ({ id: f.id, createdAt: f.createdAt, type: "fanout" })) };
    },

    async deleteDatafeed(req, ctx) {
      const c = actingBot(ctx);
      await feeds.delete(await feeds.get(c.principal.userId, req.datafeedId, "v5"));
      return {};
    },

    async readDatafeed(req, ctx) {
      const c = actingBot(ctx);
      const feed = await feeds.get(c.principal.userId, req.datafeedId, "v5");
      await feeds.ack(feed, req.ackId);
      const { messages, ackId } = await feeds.next(feed, deps.pollMs);
      return { events: await toV4Events(c, feed.id, messages), ackId };
    },

    async createDatafeedV4(_req, ctx) {
      const c = actingBot(ctx);
      return { id: (await feeds.create(c.principal.userId, "v4")).id };
    },

    async readDatafeedV4(req, ctx) {
      const c = actingBot(ctx);
      if (req.limit < 0) throw invalidArgument("limit must not be negative");
      const feed = await feeds.get(c.principal.userId, req.datafeedId, "v4");
      await feeds.ack(feed, await deps.v4Acks.last(feed));
      const { messages, ackId } = await feeds.next(feed, deps.pollMs, req.limit || undefined);
      await deps.v4Acks.remember(feed, ackId);
      return { events: await toV4Events(c, feed.id, messages) };
    },

    async adminListDatafeeds(req) {
      const owner = feedOwner(req.userId);
      return { datafeeds: (await feeds.list(owner)).map((f) => ({ id: f.id, createdAt: f.createdAt, api: f.kind })) };
    },

    async adminDeleteDatafeed(req) {
      const owner = feedOwner(req.userId);
      const feed = (await feeds.list(owner)).find((f) => f.id === req.datafeedId);
      if (!feed) throw notFound("The user has no such datafeed");
      await feeds.delete(feed);
      return {};
    },
  };
}
