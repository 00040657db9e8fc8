import { invalidArgument, newSymphonyId, permissionDenied, requireStreamId, type CallContext, type Principal, type UnaryHandlers } from "@symphony/kit";
import { USER_ADMIN_ROLES } from "@symphony/proto/contracts";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { RoomAttributes } from "@symphony/proto/pod/v1/streams";
import { page, streamNotFound, userIdOf, type PodContext } from "./context.js";
import { outboxRow } from "./events.js";
import { adminStreamQuery, mergeRoomAttributes, roomProperties, streamTypes, toAdminStreamInfo, toRoomDetail, toStreamAttributes, validRoomAttributes } from "./rooms.js";
import type { MemberRow, StreamRow } from "./store.js";

type RoomHandlers = Pick<
  UnaryHandlers<PodServiceServer>,
  | "createRoom"
  | "getRoomInfo"
  | "updateRoom"
  | "setRoomActive"
  | "searchRooms"
  | "addRoomMember"
  | "removeRoomMember"
  | "promoteRoomOwner"
  | "demoteRoomOwner"
  | "listRoomMembers"
  | "requestRoomMembership"
  | "createIm"
  | "adminCreateIm"
  | "listStreams"
  | "getStreamInfo"
  | "adminListStreamMembers"
  | "adminListStreams"
  | "adminListUserStreams"
>;

const MAX_IM_MEMBERS = 15;
const MAX_ADMIN_STREAMS_PAGE = 100;

export function roomHandlers(c: PodContext): RoomHandlers {
  const { store } = c;

  /** The room and the caller's membership; a non-member gets the same answer as for a missing room. */
  const memberOf = async (ctx: CallContext, rawId: string, opts: { room: boolean }): Promise<{ p: Principal; stream: StreamRow; membership: MemberRow }> => {
    const p = ctx.caller.bot;
    const streamId = requireStreamId(rawId);
    const [stream, membership] = await Promise.all([store.streamById(streamId), store.membership(streamId, p.userId)]);
    if (!stream || !membership || (opts.room && stream.type !== "ROOM")) streamNotFound();
    return { p, stream, membership };
  };

  const ownerOf = async (ctx: CallContext, rawId: string) => {
    const m = await memberOf(ctx, rawId, { room: true });
    if (!m.membership.owner) throw permissionDenied("Only room owners can do this");
    return m;
  };

  const event = (type: string, p: Principal, stream: StreamRow, extra: Partial<Parameters<typeof outboxRow>[0]> = {}) =>
    outboxRow({ type, timestamp: c.now(), streamId: stream.id, streamType: stream.type, initiatorUserId: p.userId, ...extra });

  const createIm = async (p: Principal, members: number[]) => {
    const unique = [...new Set(members)].sort((a, b) => a - b);
    if (unique.length < 2) throw invalidArgument("An IM needs at least one other user");
    if (unique.length > MAX_IM_MEMBERS) throw invalidArgument(`An IM has at most ${MAX_IM_MEMBERS} members`);
    const found = await store.usersBy("id", unique);
    if (found.length !== unique.length || found.some((u) => u.status !== "ENABLED")) throw invalidArgument("Every member must be an existing, enabled user");
    const ts = c.now();
    const type = unique.length === 2 ? "IM" : "MIM";
    const row = await store.findOrCreateIm(
      { id: newSymphonyId(ts), type, name: null, attributes: "{}", im_key: unique.join(","), created_by: p.userId, created_at: ts },
      unique,
      (id) => outboxRow({ type: "INSTANTMESSAGECREATED", timestamp: ts, streamId: id, streamType: type, initiatorUserId: p.userId }),
    );
    c.published();
    return { stream: { id: row.id } };
  };

  const setOwner = async (ctx: CallContext, rawId: string, rawUser: number, owner: boolean) => {
    const { p, stream } = await ownerOf(ctx, rawId);
    const userId = userIdOf(rawUser);
    if (!(await store.membership(stream.id, userId))) throw invalidArgument("The user is not a member of the room");
    const type = owner ? "ROOMMEMBERPROMOTEDTOOWNER" : "ROOMMEMBERDEMOTEDFROMOWNER";
    if (await store.setOwner(stream.id, userId, owner, event(type, p, stream, { membershipChanged: { affectedUserId: userId } }))) c.published();
    return { result: { format: "TEXT" as const, message: owner ? "Member promoted to owner" : "Member demoted" } };
  };

  return {
    async createRoom(req, ctx) {
      const p = ctx.caller.bot;
      const attrs = validRoomAttributes(req.roomAttributes);
      const ts = c.now();
      const id = newSymphonyId(ts);
      const base = { timestamp: ts, streamId: id, streamType: "ROOM", initiatorUserId: p.userId };
      const row = await store.createRoom({ id, type: "ROOM", name: attrs.name, attributes: JSON.stringify(attrs), created_by: p.userId, created_at: ts }, [
        outboxRow({ ...base, type: "ROOMCREATED", roomCreated: roomProperties(attrs, p.userId, ts) }),
        outboxRow({ ...base, type: "USERJOINEDROOM", membershipChanged: { affectedUserId: p.userId } }),
      ]);
      c.published();
      return { room: toRoomDetail(row) };
    },

    async getRoomInfo(req, ctx) {
      const { stream } = await memberOf(ctx, req.streamId, { room: true });
      return { room: toRoomDetail(stream) };
    },

    async updateRoom(req, ctx) {
      const { p, stream } = await ownerOf(ctx, req.streamId);
      if (!req.roomAttributes) throw invalidArgument("Room attributes are required");
      const attrs = mergeRoomAttributes(stream.attributes as unknown as RoomAttributes, req.roomAttributes);
      const row = await store.updateStream(stream.id, { name: attrs.name, attributes: JSON.stringify(attrs) }, event("ROOMUPDATED", p, stream, { roomCreated: roomProperties(attrs, stream.created_by, stream.created_at) }));
      c.published();
      return { room: toRoomDetail(row!) };
    },

    async setRoomActive(req, ctx) {
      const { p, stream } = await ownerOf(ctx, req.streamId);
      let row = stream;
      if (stream.active !== req.active) {
        row = (await store.updateStream(stream.id, { active: req.active }, event(req.active ? "ROOMREACTIVATED" : "ROOMDEACTIVATED", p, stream)))!;
        c.published();
      }
      const a = row.attributes as unknown as RoomAttributes;
      return {
        room: {
          roomAttributes: { name: a.name, description: a.description ?? "", membersCanInvite: a.membersCanInvite ?? false, discoverable: a.discoverable ?? false },
          roomSystemInfo: toRoomDetail(row).roomSystemInfo,
        },
      };
    },

    async searchRooms(req, ctx) {
      const p = ctx.caller.bot;
      const { skip, limit } = page(req.skip, req.limit);
      const q = req.query;
      if (!q) throw invalidArgument("A search query is required");
      if (q.query.length > 256) throw invalidArgument("query is longer than 256 characters");
      const optionalUser = (u: { id: number } | undefined, field: string) => (u ? userIdOf(u.id, field) : undefined);
      const { count, rooms } = await store.searchRooms({
        readerId: p.userId,
        text: q.query.trim(),
        active: q.active,
        private: q.private,
        ownerId: optionalUser(q.owner, "owner.id"),
        creatorId: optionalUser(q.creator, "creator.id"),
        memberId: optionalUser(q.member, "member.id"),
        includeNonDiscoverable: req.includeNonDiscoverable === true && (await ctx.caller.hasRole(USER_ADMIN_ROLES)),
        skip,
        limit,
      });
      return { results: { count, skip, limit, query: q, rooms: rooms.map(toRoomDetail) } };
    },

    async addRoomMember(req, ctx) {
      const { p, stream, membership } = await memberOf(ctx, req.streamId, { room: true });
      const userId = userIdOf(req.user?.id ?? 0);
      const membersCanInvite = (stream.attributes as unknown as RoomAttributes).membersCanInvite === true;
      if (!membership.owner && !membersCanInvite) throw permissionDenied("Only room owners can add members");
      if (!stream.active) throw invalidArgument("The room is deactivated");
      const user = await store.userById(userId);
      if (!user || user.status !== "ENABLED") throw invalidArgument(`User ${userId} does not exist`);
      const added = await store.addMember(stream.id, userId, c.now(), event("USERJOINEDROOM", p, stream, { membershipChanged: { affectedUserId: userId } }));
      if (added) c.published();
      return { result: { format: "TEXT", message: added ? "Member added" : "Member already part of the room" } };
    },

    async removeRoomMember(req, ctx) {
      const { p, stream, membership } = await memberOf(ctx, req.streamId, { room: true });
      const userId = userIdOf(req.user?.id ?? 0);
      // Owners remove anyone; everybody may leave.
      if (!membership.owner && userId !== p.userId) throw permissionDenied("Only room owners can remove members");
      const removed = await store.removeMember(stream.id, userId, event("USERLEFTROOM", p, stream, { membershipChanged: { affectedUserId: userId } }));
      if (removed) {
        c.published();
        c.accessRevoked(stream.id, userId);
      }
      return { result: { format: "TEXT", message: removed ? "Member removed" : "Member is not part of the room" } };
    },

    async requestRoomMembership(req, ctx) {
      const p = ctx.caller.bot;
      const stream = await store.streamById(requireStreamId(req.streamId));
      if (!stream || stream.type !== "ROOM") streamNotFound();
      if (await store.membership(stream.id, p.userId)) throw invalidArgument("The user is already a member of the room");
      const attrs = stream.attributes as unknown as RoomAttributes;
      // Only a room the user can find may be asked for; any other stays as hidden as a missing one.
      if (attrs.discoverable !== true && attrs.public !== true) streamNotFound();
      if (!stream.active) throw invalidArgument("The room is deactivated");
      const owners = (await store.members(stream.id)).filter((m) => m.owner).map((m) => m.user_id);
      await store.announceTo(event("USERREQUESTEDTOJOINROOM", p, stream, { joinRequested: { ownerUserIds: owners } }), owners);
      c.published();
      return { result: { format: "TEXT", message: "Request sent to the room owners" } };
    },

    promoteRoomOwner: (req, ctx) => setOwner(ctx, req.streamId, req.user?.id ?? 0, true),
    demoteRoomOwner: (req, ctx) => setOwner(ctx, req.streamId, req.user?.id ?? 0, false),

    async listRoomMembers(req, ctx) {
      const { stream } = await memberOf(ctx, req.streamId, { room: true });
      const members = await store.members(stream.id);
      return { members: members.map((m) => ({ id: m.user_id, owner: m.owner, joinDate: m.joined_at })) };
    },

    async createIm(req, ctx) {
      const p = ctx.caller.bot;
      return createIm(p, [p.userId, ...req.userIds.map((id) => userIdOf(id))]);
    },

    async adminCreateIm(req, ctx) {
      const admin = await c.callerRow(ctx);
      const p = { userId: admin.id } as Principal;
      return createIm(p, req.userIds.map((id) => userIdOf(id)));
    },

    async listStreams(req, ctx) {
      const p = ctx.caller.bot;
      const { skip, limit } = page(req.skip, req.limit);
      const types = streamTypes(req.filter?.streamTypes);
      const rows = await store.streamsOf({ userId: p.userId, types, includeInactive: req.filter?.includeInactiveStreams === true, skip, limit });
      return { streams: rows.map(toStreamAttributes) };
    },

    async getStreamInfo(req, ctx) {
      const { p, stream } = await memberOf(ctx, req.streamId, { room: false });
      const [row] = await store.streamsOf({ userId: p.userId, types: [], includeInactive: true, skip: 0, limit: 1, streamId: stream.id });
      return { stream: toStreamAttributes(row!) };
    },

    async adminListStreams(req, ctx) {
      const { skip, limit } = page(req.skip, req.limit);
      if (limit > MAX_ADMIN_STREAMS_PAGE) throw invalidArgument(`limit must not exceed ${MAX_ADMIN_STREAMS_PAGE}`);
      const query = adminStreamQuery(req.filter);
      const { count, streams } = query ? await store.adminStreams({ ...query, skip, limit }) : { count: 0, streams: [] };
      return { count, skip, limit, filter: req.filter, streams: streams.map(toAdminStreamInfo) };
    },

    async adminListUserStreams(req, ctx) {
      const userId = userIdOf(req.uid, "uid");
      const { skip, limit } = page(req.skip, req.limit);
      const types = streamTypes(req.filter?.streamTypes);
      if (!(await store.userById(userId))) throw invalidArgument("User not found");
      const rows = await store.streamsOf({ userId, types, includeInactive: req.filter?.includeInactiveStreams === true, skip, limit, oldestFirst: true });
      return { streams: rows.map(toStreamAttributes) };
    },

    async adminListStreamMembers(req, ctx) {
      const stream = await store.streamById(requireStreamId(req.streamId));
      if (!stream) streamNotFound();
      const { skip, limit } = page(req.skip, req.limit, 100);
      const { count, members } = await store.memberPage(stream.id, skip, limit);
      return {
        page: {
          count,
          skip,
          limit,
          members: members.map((m) => ({
            user: {
              userId: m.user.id,
              email: m.user.email,
              firstName: m.user.first_name,
              lastName: m.user.last_name,
              displayName: m.user.display_name,
              company: m.user.attributes.companyName ?? "",
              isExternal: false,
            },
            isOwner: m.owner,
            isCreator: m.user.id === stream.created_by,
            joinDate: m.joined_at,
          })),
        },
      };
    },
  };
}
