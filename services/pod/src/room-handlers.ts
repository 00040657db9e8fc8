import { invalidArgument, newSymphonyId, type UnaryHandlers } from "@symphony/kit";
import { USER_ADMIN_ROLES } from "@symphony/proto/contracts";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { RoomAttributes } from "@symphony/proto/pod/v1/streams";
import type { PodContext } from "./context.js";
import { streamEvent } from "./events.js";
import { page, userIdOf } from "./request-fields.js";
import { mergeRoomAttributes, roomProperties, toRoomDetail, validRoomAttributes } from "./rooms.js";

type RoomHandlers = Pick<UnaryHandlers<PodServiceServer>, "createRoom" | "getRoomInfo" | "updateRoom" | "setRoomActive" | "searchRooms">;

export function roomHandlers(c: PodContext): RoomHandlers {
  return {
    async createRoom(req, ctx) {
      const p = ctx.caller.bot;
      const attrs = validRoomAttributes(req.roomAttributes);
      const ts = c.now();
      const room = { id: newSymphonyId(ts), type: "ROOM" };
      const row = await c.changeStream(
        room.id,
        async (tx) => {
          const created = await tx.streams.insert({ ...room, name: attrs.name, attributes: JSON.stringify(attrs), created_by: p.userId, created_at: ts });
          await tx.memberships.add(room.id, p.userId, ts, true);
          return created;
        },
        [
          streamEvent("ROOMCREATED", room, p.userId, ts, { roomCreated: roomProperties(attrs, p.userId, ts) }),
          streamEvent("USERJOINEDROOM", room, p.userId, ts, { membershipChanged: { affectedUserId: p.userId } }),
        ],
      );
      return { room: toRoomDetail(row) };
    },

    async getRoomInfo(req, ctx) {
      const { stream } = await c.memberOfRoom(ctx, req.streamId);
      return { room: toRoomDetail(stream) };
    },

    async updateRoom(req, ctx) {
      const { p, stream } = await c.ownerOfRoom(ctx, req.streamId);
      if (!req.roomAttributes) throw invalidArgument("Room attributes are required");
      const attrs = mergeRoomAttributes(stream.attributes as unknown as RoomAttributes, req.roomAttributes);
      const event = streamEvent("ROOMUPDATED", stream, p.userId, c.now(), { roomCreated: roomProperties(attrs, stream.created_by, stream.created_at) });
      const row = await c.changeStream(stream.id, (tx) => tx.streams.update(stream.id, { name: attrs.name, attributes: JSON.stringify(attrs) }), [event]);
      return { room: toRoomDetail(row!) };
    },

    async setRoomActive(req, ctx) {
      const { p, stream } = await c.ownerOfRoom(ctx, req.streamId);
      let row = stream;
      if (stream.active !== req.active) {
        const event = streamEvent(req.active ? "ROOMREACTIVATED" : "ROOMDEACTIVATED", stream, p.userId, c.now());
        row = (await c.changeStream(stream.id, (tx) => tx.streams.update(stream.id, { active: req.active }), [event]))!;
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
      const { count, rooms } = await c.stores.streams.searchRooms({
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
  };
}
