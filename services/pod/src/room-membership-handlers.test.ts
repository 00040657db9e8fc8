import { status } from "@symphony/kit";
import { CreateRoomRequest } from "@symphony/proto/pod/v1/pod_service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roomHandlers } from "./room-handlers.js";
import { roomMembershipHandlers } from "./room-membership-handlers.js";
import type { UserRow } from "./schema.js";
import { podFixture, type PodFixture } from "./test-fixture.js";

let f: PodFixture;
let membership: ReturnType<typeof roomMembershipHandlers>;

beforeAll(async () => {
  f = await podFixture("test_pod_membership");
  membership = roomMembershipHandlers(f.c);
});
afterAll(() => f.close());

async function room(owner: UserRow, attrs: { membersCanInvite?: boolean; discoverable?: boolean } = {}): Promise<string> {
  const res = await roomHandlers(f.c).createRoom(CreateRoomRequest.fromPartial({ roomAttributes: { name: "team", ...attrs } }), await f.as(owner));
  return res.room!.roomSystemInfo!.id;
}

const add = async (by: UserRow, streamId: string, user: UserRow) => (await membership.addRoomMember({ streamId, user: { id: user.id } }, await f.as(by))).result?.message;
const remove = async (by: UserRow, streamId: string, user: UserRow) => (await membership.removeRoomMember({ streamId, user: { id: user.id } }, await f.as(by))).result?.message;

describe("room membership handlers", () => {
  it("let owners add members, once; members only when the room lets them invite", async () => {
    const [owner, bob, carol] = [await f.user(), await f.user(), await f.user()];
    const closed = await room(owner);
    expect(await add(owner, closed, bob)).toBe("Member added");
    expect(await add(owner, closed, bob)).toBe("Member already part of the room");
    await expect(add(bob, closed, carol)).rejects.toMatchObject({ code: status.PERMISSION_DENIED, message: "Only room owners can add members" });
    const open = await room(owner, { membersCanInvite: true });
    await add(owner, open, bob);
    expect(await add(bob, open, carol)).toBe("Member added");
  });

  it("refuse to add a disabled user or to a deactivated room", async () => {
    const [owner, bob] = [await f.user(), await f.user()];
    const disabled = await f.user({ status: "DISABLED" });
    const id = await room(owner);
    await expect(add(owner, id, disabled)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await f.stores.streams.update(id, { active: false });
    await expect(add(owner, id, bob)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, message: "The room is deactivated" });
  });

  it("let anyone leave and owners remove others; the removed user hears of it and agents drop its keys", async () => {
    const [owner, bob, carol] = [await f.user(), await f.user(), await f.user()];
    const id = await room(owner);
    await add(owner, id, bob);
    await add(owner, id, carol);
    await expect(remove(bob, id, carol)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const before = (await f.events()).length;
    // Joining a room without viewHistory already asked for a rotation (see the message handler tests).
    const noticesBefore = f.notices.accessRevoked.length;
    expect(await remove(bob, id, bob)).toBe("Member removed");
    expect(await remove(owner, id, carol)).toBe("Member removed");
    expect((await f.events()).slice(before)).toEqual([
      { type: "USERLEFTROOM", recipients: [owner.id, bob.id, carol.id].sort((a, b) => a - b) },
      { type: "USERLEFTROOM", recipients: [owner.id, carol.id].sort((a, b) => a - b) },
    ]);
    expect(f.notices.accessRevoked.slice(noticesBefore).filter((n) => n.streamId === id)).toEqual([
      { streamId: id, userId: bob.id },
      { streamId: id, userId: carol.id },
    ]);
    // A former member is as foreign to the room as anyone else.
    await expect(remove(carol, id, carol)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  });

  it("promote and demote members only, by owners only", async () => {
    const [owner, bob, stranger] = [await f.user(), await f.user(), await f.user()];
    const id = await room(owner);
    await add(owner, id, bob);
    await expect(membership.promoteRoomOwner({ streamId: id, user: { id: stranger.id } }, await f.as(owner))).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      message: "The user is not a member of the room",
    });
    await expect(membership.promoteRoomOwner({ streamId: id, user: { id: owner.id } }, await f.as(bob))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await membership.promoteRoomOwner({ streamId: id, user: { id: bob.id } }, await f.as(owner));
    expect((await f.stores.memberships.of(id, bob.id))?.owner).toBe(true);
    const before = (await f.events()).length;
    // Promoting an owner again changes nothing, so it announces nothing.
    await membership.promoteRoomOwner({ streamId: id, user: { id: bob.id } }, await f.as(owner));
    expect((await f.events()).length).toBe(before);
    await membership.demoteRoomOwner({ streamId: id, user: { id: owner.id } }, await f.as(bob));
    expect((await membership.listRoomMembers({ streamId: id }, await f.as(bob))).members).toEqual([
      expect.objectContaining({ id: owner.id, owner: false }),
      expect.objectContaining({ id: bob.id, owner: true }),
    ]);
  });

  it("send a join request to the owners of a discoverable room; a hidden room stays hidden", async () => {
    const [owner, asker] = [await f.user(), await f.user()];
    const hidden = await room(owner);
    await expect(membership.requestRoomMembership({ streamId: hidden }, await f.as(asker))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const discoverable = await room(owner, { discoverable: true });
    const before = (await f.events()).length;
    await membership.requestRoomMembership({ streamId: discoverable }, await f.as(asker));
    expect((await f.events()).slice(before)).toEqual([{ type: "USERREQUESTEDTOJOINROOM", recipients: [owner.id] }]);
    await expect(membership.requestRoomMembership({ streamId: discoverable }, await f.as(owner))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });
});
