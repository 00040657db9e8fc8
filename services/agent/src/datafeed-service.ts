import { invalidArgument, metadataOf, SESSION_TOKEN, unary, type TokenVerifier, type UnaryHandlers } from "@symphony/kit";
import type { AgentServiceServer } from "@symphony/proto/agent/v1/agent_service";
import type { V4Event } from "@symphony/proto/agent/v1/events";
import type { PodServiceClient } from "@symphony/proto/pod/v1/pod_service";
import type { UserV2 } from "@symphony/proto/pod/v1/users";
import type { ContentKeyCache } from "./content-keys.js";
import { readMessage } from "./decrypt.js";
import type { FeedStore, V4AckState } from "./feeds.js";
import { authenticateCaller, type Caller } from "./principal.js";
import { Event } from "@symphony/proto/events/v1/events";
import { storedMessageOf, toV4Event, usersOf } from "./v4-events.js";

type DatafeedHandlers = Pick<
  UnaryHandlers<AgentServiceServer>,
  "createDatafeed" | "listDatafeeds" | "deleteDatafeed" | "readDatafeed" | "createDatafeedV4" | "readDatafeedV4"
>;

export interface DatafeedDeps {
  feeds: FeedStore;
  v4Acks: V4AckState;
  pod: PodServiceClient;
  keys: ContentKeyCache;
  sessions: TokenVerifier;
  keyManagerTokens: TokenVerifier;
  pollMs: number;
}

export function datafeedHandlers(deps: DatafeedDeps): DatafeedHandlers {
  const { feeds, pod } = deps;
  const auth = (ctx: Parameters<typeof authenticateCaller>[0]) => authenticateCaller(ctx, deps.sessions, deps.keyManagerTokens);

  /** Decrypted V4Events, with the profiles of initiators and affected users in one pod call. */
  const toV4Events = async (c: Caller, data: Uint8Array[]): Promise<V4Event[]> => {
    const events = data.map((d) => Event.decode(d));
    const ids = usersOf(events);
    const { users } = ids.length ? await unary(pod, pod.getUsers, { userIds: ids }, metadataOf({ [SESSION_TOKEN]: c.sessionToken })) : { users: [] as UserV2[] };
    const profiles = new Map(users.map((u) => [u.id, u]));
    const out: V4Event[] = [];
    for (const e of events) {
      const stored = storedMessageOf(e, profiles.get(e.initiatorUserId));
      const message = stored ? { message: await readMessage(deps.keys, c, stored) } : undefined;
      const v4 = toV4Event(e, profiles, message);
      if (v4) out.push(v4);
    }
    return out;
  };

  return {
    async createDatafeed(req, ctx) {
      const c = await auth(ctx);
      const feed = await feeds.create(c.principal.userId, "v5", req.tag);
      return { datafeed: { id: feed.id, createdAt: feed.createdAt, type: "fanout" } };
    },

    async listDatafeeds(req, ctx) {
      const c = await auth(ctx);
      const all = (await feeds.list(c.principal.userId)).filter((f) => f.kind === "v5");
      const tagged = req.tag ? all.filter((f) => f.id === `${req.tag}_f`) : all;
      return { datafeeds: tagged.map((f) => ({ id: f.id, createdAt: f.createdAt, type: "fanout" })) };
    },

    async deleteDatafeed(req, ctx) {
      const c = await auth(ctx);
      await feeds.delete(await feeds.get(c.principal.userId, req.datafeedId, "v5"));
      return {};
    },

    async readDatafeed(req, ctx) {
      const c = await auth(ctx);
      const feed = await feeds.get(c.principal.userId, req.datafeedId, "v5");
      await feeds.ack(feed, req.ackId);
      const { messages, ackId } = await feeds.next(feed, deps.pollMs);
      return { events: await toV4Events(c, messages.map((m) => m.data)), ackId };
    },

    async createDatafeedV4(_req, ctx) {
      const c = await auth(ctx);
      return { id: (await feeds.create(c.principal.userId, "v4")).id };
    },

    async readDatafeedV4(req, ctx) {
      const c = await auth(ctx);
      if (req.limit < 0) throw invalidArgument("limit must not be negative");
      const feed = await feeds.get(c.principal.userId, req.datafeedId, "v4");
      await feeds.ack(feed, await deps.v4Acks.last(feed));
      const { messages, ackId } = await feeds.next(feed, deps.pollMs, req.limit || undefined);
      await deps.v4Acks.remember(feed, ackId);
      return { events: await toV4Events(c, messages.map((m) => m.data)) };
    },
  };
}
