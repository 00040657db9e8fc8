import {
  AUTH_FAILED,
  claimedUsername,
  invalidArgument,
  newSymphonyId,
  normalizeSymphonyId,
  notFound,
  permissionDenied,
  SESSION_TOKEN,
  unauthenticated,
  verifyRsaLoginJwt,
  type CallContext,
  type Principal,
  type TokenIssuer,
  type TokenVerifier,
  type UnaryHandlers,
} from "@symphony/kit";
import type { PodInternalServiceServer } from "@symphony/proto/pod/v1/pod_internal_service";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { StoredMessage } from "@symphony/proto/pod/v1/messages";
import type { RoomAttributes } from "@symphony/proto/pod/v1/streams";
import { outboxRow } from "./events.js";
import type { PodStore, StoredMessageRow, UserRow } from "./store.js";
import { activeKeys, newUserRow, toUserDetail, toUserV2 } from "./users.js";

export interface PodDeps {
  store: PodStore;
  sessions: TokenIssuer;
  verifier: TokenVerifier;
  /** Wakes the outbox relay after a commit, so events leave without waiting for the next poll. */
  published: () => void;
  /** Tells agents that a user lost access to a stream, so they drop cached keys at once. */
  accessRevoked: (streamId: string, userId: number) => void;
  now?: () => number;
}

const MAX_MESSAGE_LIMIT = 500;
const MAX_CIPHERTEXT = 2 * 1024 * 1024;

export function streamIdOf(raw: string): string {
  const id = normalizeSymphonyId(raw);
  if (!id) throw invalidArgument("Invalid stream id");
  return id;
}

function roomNotFound(): never {
  throw notFound("Stream not found");
}

function toStoredMessage(row: StoredMessageRow): StoredMessage {
  return {
    messageId: row.id,
    streamId: row.stream_id,
    streamType: row.stream_type,
    timestamp: row.created_at,
    sender: toUserV2(row.sender),
    ciphertext: row.ciphertext,
  };
}

function validRoomAttributes(attrs: RoomAttributes | undefined): RoomAttributes {
  if (!attrs) throw invalidArgument("Room attributes are required");
  const name = attrs.name.trim();
  if (!name) throw invalidArgument("Room name is required");
  if (name.length > 256) throw invalidArgument("Room name is longer than 256 characters");
  if (attrs.description.length > 10_000) throw invalidArgument("Room description is too long");
  if (attrs.keywords.length > 100) throw invalidArgument("Too many room keywords");
  return { ...attrs, name };
}

export function podService(deps: PodDeps): UnaryHandlers<PodServiceServer> {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  // A stream's type never changes, so the send path looks it up once per stream.
  const streamTypes = new Map<string, string>();
  const streamType = async (streamId: string): Promise<string | undefined> => {
    let type = streamTypes.get(streamId);
    if (type === undefined) {
      type = (await store.streamById(streamId))?.type;
      if (type === undefined) return undefined;
      if (streamTypes.size >= 100_000) streamTypes.clear();
      streamTypes.set(streamId, type);
    }
    return type;
  };

  const caller = (ctx: CallContext): Promise<Principal> => deps.verifier.verify(ctx.metadata.get(SESSION_TOKEN)[0]?.toString());

  const callerWithRole = async (ctx: CallContext, role: string): Promise<UserRow> => {
    const p = await caller(ctx);
    const user = await store.userById(p.userId);
    if (!user || user.status !== "ENABLED") throw unauthenticated();
    if (!user.roles.includes(role)) throw permissionDenied();
    return user;
  };

  return {
    async authenticate(req) {
      const username = claimedUsername(req.token);
      const user = await store.userByUsername(username);
      if (!user || user.status !== "ENABLED") throw unauthenticated(AUTH_FAILED);
      await verifyRsaLoginJwt(req.token, activeKeys(user, now()));
      return { name: "sessionToken", token: await deps.sessions.issue(user.id, user.username) };
    },

    async getSessionInfo(_req, ctx) {
      const p = await caller(ctx);
      const user = await store.userById(p.userId);
      if (!user) throw unauthenticated();
      return { user: toUserV2(user) };
    },

    async createUser(req, ctx) {
      const admin = await callerWithRole(ctx, "USER_PROVISIONING");
      const created = await store.createUser(newUserRow(req.userAttributes, req.roles, admin.id, now()));
      if (!created) throw invalidArgument("A user with this username or email address already exists");
      return { user: toUserDetail(created) };
    },

    async createRoom(req, ctx) {
      const p = await caller(ctx);
      const attrs = validRoomAttributes(req.roomAttributes);
      const ts = now();
      const id = newSymphonyId(ts);
      const base = { timestamp: ts, streamId: id, streamType: "ROOM", initiatorUserId: p.userId };
      const row = await store.createRoom(
        { id, type: "ROOM", name: attrs.name, attributes: JSON.stringify(attrs), created_by: p.userId, created_at: ts },
        [
          outboxRow({ ...base, type: "ROOMCREATED", roomCreated: { name: attrs.name } }),
          outboxRow({ ...base, type: "USERJOINEDROOM", membershipChanged: { affectedUserId: p.userId } }),
        ],
      );
      deps.published();
      return {
        room: {
          roomAttributes: attrs,
          roomSystemInfo: { id: row.id, creationDate: row.created_at, createdByUserId: row.created_by, active: true },
        },
      };
    },

    async addRoomMember(req, ctx) {
      const p = await caller(ctx);
      const streamId = streamIdOf(req.streamId);
      const userId = req.user?.id ?? 0;
      if (!Number.isSafeInteger(userId) || userId <= 0) throw invalidArgument("id must be a user id");
      const [stream, membership] = await Promise.all([store.streamById(streamId), store.membership(streamId, p.userId)]);
      if (!stream || stream.type !== "ROOM" || !membership) roomNotFound();
      const membersCanInvite = stream.attributes.membersCanInvite === true;
      if (!membership.owner && !membersCanInvite) throw permissionDenied("Only room owners can add members");
      if (!stream.active) throw invalidArgument("The room is deactivated");
      if (!(await store.userById(userId))) throw invalidArgument(`User ${userId} does not exist`);
      const ts = now();
      const added = await store.addMember(
        streamId,
        userId,
        ts,
        outboxRow({ type: "USERJOINEDROOM", timestamp: ts, streamId, streamType: "ROOM", initiatorUserId: p.userId, membershipChanged: { affectedUserId: userId } }),
      );
      if (added) deps.published();
      return { result: { format: "TEXT", message: added ? "Member added" : "Member already part of the room" } };
    },

    async removeRoomMember(req, ctx) {
      const p = await caller(ctx);
      const streamId = streamIdOf(req.streamId);
      const userId = req.user?.id ?? 0;
      if (!Number.isSafeInteger(userId) || userId <= 0) throw invalidArgument("id must be a user id");
      const [stream, membership] = await Promise.all([store.streamById(streamId), store.membership(streamId, p.userId)]);
      if (!stream || stream.type !== "ROOM" || !membership) roomNotFound();
      // Owners remove anyone; everybody may leave.
      if (!membership.owner && userId !== p.userId) throw permissionDenied("Only room owners can remove members");
      const ts = now();
      const removed = await store.removeMember(
        streamId,
        userId,
        outboxRow({ type: "USERLEFTROOM", timestamp: ts, streamId, streamType: "ROOM", initiatorUserId: p.userId, membershipChanged: { affectedUserId: userId } }),
      );
      if (removed) {
        deps.published();
        deps.accessRevoked(streamId, userId);
      }
      return { result: { format: "TEXT", message: removed ? "Member removed" : "Member is not part of the room" } };
    },

    async listRoomMembers(req, ctx) {
      const p = await caller(ctx);
      const streamId = streamIdOf(req.streamId);
      if (!(await store.membership(streamId, p.userId))) roomNotFound();
      const members = await store.members(streamId);
      return { members: members.map((m) => ({ id: m.user_id, owner: m.owner, joinDate: m.joined_at })) };
    },

    async storeMessage(req, ctx) {
      const p = await caller(ctx);
      const streamId = streamIdOf(req.streamId);
      const messageId = normalizeSymphonyId(req.messageId);
      if (!messageId) throw invalidArgument("Invalid message id");
      if (req.ciphertext.length === 0 || req.ciphertext.length > MAX_CIPHERTEXT) throw invalidArgument("Invalid ciphertext size");
      const type = await streamType(streamId);
      if (!type) roomNotFound();
      const ts = now();
      const ciphertext = Buffer.from(req.ciphertext);
      const event = outboxRow({ type: "MESSAGESENT", timestamp: ts, streamId, streamType: type, initiatorUserId: p.userId, messageSent: { messageId, ciphertext } });
      const sender = await store.storeMessage({ id: messageId, streamId, senderId: p.userId, createdAt: ts, ciphertext }, event);
      if (!sender) roomNotFound();
      deps.published();
      return { message: { messageId, streamId, streamType: type, timestamp: ts, sender: toUserV2(sender), ciphertext } };
    },

    async listMessages(req, ctx) {
      const p = await caller(ctx);
      const streamId = streamIdOf(req.streamId);
      if (req.limit < 0 || req.skip < 0) throw invalidArgument("skip and limit must not be negative");
      if (req.since < 0) throw invalidArgument("since must be a timestamp in milliseconds");
      if (!(await store.membership(streamId, p.userId))) roomNotFound();
      const rows = await store.messages({
        streamId,
        readerId: p.userId,
        since: req.since,
        until: req.until,
        skip: req.skip,
        limit: Math.min(req.limit || 50, MAX_MESSAGE_LIMIT),
      });
      return { messages: rows.map(toStoredMessage) };
    },

    async getMessage(req, ctx) {
      const p = await caller(ctx);
      const id = normalizeSymphonyId(req.messageId);
      if (!id) throw invalidArgument("Invalid message id");
      const row = await store.message(id, p.userId);
      if (!row) throw notFound("Message not found");
      return { message: toStoredMessage(row) };
    },

    async getUsers(req, ctx) {
      await caller(ctx);
      if (req.userIds.length > 100) throw invalidArgument("At most 100 users per call");
      const rows = await store.usersByIds(req.userIds.filter((id) => Number.isSafeInteger(id) && id > 0));
      return { users: rows.map(toUserV2) };
    },
  };
}

export function podInternalService(deps: Pick<PodDeps, "store" | "sessions"> & { now?: () => number }): UnaryHandlers<PodInternalServiceServer> {
  const now = deps.now ?? Date.now;
  return {
    async getUserCredentials(req) {
      const user = req.username ? await deps.store.userByUsername(req.username) : undefined;
      if (!user) return { userId: 0, active: false, publicKeys: [] };
      return { userId: user.id, active: user.status === "ENABLED", publicKeys: activeKeys(user, now()) };
    },
    async checkMembership(req) {
      const streamId = normalizeSymphonyId(req.streamId);
      if (!streamId) return { member: false, owner: false };
      const [stream, membership] = await Promise.all([deps.store.streamById(streamId), deps.store.membership(streamId, req.userId)]);
      const member = Boolean(stream?.active && membership);
      return { member, owner: member && membership!.owner };
    },
    async getUserRoles(req) {
      const user = Number.isSafeInteger(req.userId) && req.userId > 0 ? await deps.store.userById(req.userId) : undefined;
      return { active: user?.status === "ENABLED", roles: user?.roles ?? [] };
    },
    async getSessionTokenKeys() {
      return { jwks: JSON.stringify(deps.sessions.jwks) };
    },
  };
}
