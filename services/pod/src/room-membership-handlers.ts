import { invalidArgument, permissionDenied, requireStreamId, type CallContext, type UnaryHandlers } from "@symphony/kit";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { RoomAttributes } from "@symphony/proto/pod/v1/streams";
import { streamNotFound, type PodContext } from "./context.js";
import { streamEvent } from "./events.js";
import { userIdOf } from "./request-fields.js";

type RoomMembershipHandlers = Pick<
  UnaryHandlers<PodServiceServer>,
  "addRoomMember" | "removeRoomMember" | "promoteRoomOwner" | "demoteRoomOwner" | "listRoomMembers" | "requestRoomMembership"
>;

export function roomMembershipHandlers(c: PodContext): RoomMembershipHandlers {
  const { stores } = c;

  const setOwner = async (ctx: CallContext, rawId: string, rawUser: number, owner: boolean) => {
    const { p, stream } = await c.ownerOfRoom(ctx, rawId);
    const userId = userIdOf(rawUser);
    if (!(await stores.memberships.of(stream.id, userId))) throw invalidArgument("The user is not a member of the room");
    const type = owner ? "ROOMMEMBERPROMOTEDTOOWNER" : "ROOMMEMBERDEMOTEDFROMOWNER";
    const event = streamEvent(type, stream, p.userId, c.now(), { membershipChanged: { affectedUserId: userId } });
    await c.changeStream(stream.id, (tx) => tx.memberships.setOwner(stream.id, userId, owner), [event]);
    return { result: { format: "TEXT" as const, message: owner ? "Member promoted to owner" : "Member demoted" } };
  };

  return {
    async addRoomMember(req, ctx) {
      const { p, stream, membership } = await c.memberOfRoom(ctx, req.streamId);
      const userId = userIdOf(req.user?.id ?? 0);
      const membersCanInvite = (stream.attributes as unknown as RoomAttributes).membersCanInvite === true;
      if (!membership.owner && !membersCanInvite) throw permissionDenied("Only room owners can add members");
      if (!stream.active) throw invalidArgument("The room is deactivated");
      const user = await stores.users.byId(userId);
      if (!user || user.status !== "ENABLED") throw invalidArgument(`User ${userId} does not exist`);
      const ts = c.now();
      const event = streamEvent("USERJOINEDROOM", stream, p.userId, ts, { membershipChanged: { affectedUserId: userId } });
      const added = await c.changeStream(stream.id, (tx) => tx.memberships.add(stream.id, userId, ts), [event]);
      // Without viewHistory the newcomer may not open earlier rotations: the same notice as a
      // removal makes the key manager rotate, so what is sent from now on uses a key they may have.
      if (added && (stream.attributes as unknown as RoomAttributes).viewHistory !== true) c.accessRevoked(stream.id, userId);
      return { result: { format: "TEXT", message: added ? "Member added" : "Member already part of the room" } };
    },

    async removeRoomMember(req, ctx) {
      const { p, stream, membership } = await c.memberOfRoom(ctx, req.streamId);
      const userId = userIdOf(req.user?.id ?? 0);
      // Owners remove anyone; everybody may leave.
      if (!membership.owner && userId !== p.userId) throw permissionDenied("Only room owners can remove members");
      const event = streamEvent("USERLEFTROOM", stream, p.userId, c.now(), { membershipChanged: { affectedUserId: userId } });
      // The removed user is no member any more, yet must hear of it.
      const removed = await c.changeStream(stream.id, (tx) => tx.memberships.remove(stream.id, userId), [event], [userId]);
      if (removed) c.accessRevoked(stream.id, userId);
      return { result: { format: "TEXT", message: removed ? "Member removed" : "Member is not part of the room" } };
    },

    async requestRoomMembership(req, ctx) {
      const p = ctx.caller.bot;
      const stream = await stores.streams.byId(requireStreamId(req.streamId));
      if (!stream || stream.type !== "ROOM") streamNotFound();
      if (await stores.memberships.of(stream.id, p.userId)) throw invalidArgument("The user is already a member of the room");
      const attrs = stream.attributes as unknown as RoomAttributes;
      // Only a room the user can find may be asked for; any other stays as hidden as a missing one.
      if (attrs.discoverable !== true && attrs.public !== true) streamNotFound();
      if (!stream.active) throw invalidArgument("The room is deactivated");
      const owners = (await stores.memberships.list(stream.id)).filter((m) => m.owner).map((m) => m.user_id);
      await stores.outbox.to(streamEvent("USERREQUESTEDTOJOINROOM", stream, p.userId, c.now(), { joinRequested: { ownerUserIds: owners } }), owners);
      c.published();
      return { result: { format: "TEXT", message: "Request sent to the room owners" } };
    },

    promoteRoomOwner: (req, ctx) => setOwner(ctx, req.streamId, req.user?.id ?? 0, true),
    demoteRoomOwner: (req, ctx) => setOwner(ctx, req.streamId, req.user?.id ?? 0, false),

    async listRoomMembers(req, ctx) {
      const { stream } = await c.memberOfRoom(ctx, req.streamId);
      const members = await stores.memberships.list(stream.id);
      return { members: members.map((m) => ({ id: m.user_id, owner: m.owner, joinDate: m.joined_at })) };
    },
  };
}
