import { status } from "@symphony/kit";
import {
  CreateRoomRequest,
  GetRoomInfoRequest,
  SearchRoomsRequest,
  SetRoomActiveRequest,
  UpdateRoomRequest,
} from "@symphony/proto/pod/v1/pod_service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roomHandlers } from "./room-handlers.js";
import { roomMembershipHandlers } from "./room-membership-handlers.js";
import { podFixture, type PodFixture } from "./test-fixture.js";

let f: PodFixture;
let rooms: ReturnType<typeof roomHandlers>;
let membership: ReturnType<typeof roomMembershipHandlers>;

beforeAll(async () => {
  f = await podFixture("test_pod_rooms");
  rooms = roomHandlers(f.c);
  membership = roomMembershipHandlers(f.c);
});
afterAll(() => f.close());

const create = async (owner: Awaited<ReturnType<PodFixture["user"]>>, attrs: { name: string; discoverable?: boolean; membersCanInvite?: boolean }) =>
  (await rooms.createRoom(CreateRoomRequest.fromPartial({ roomAttributes: attrs }), await f.as(owner))).room!.roomSystemInfo!.id;

describe("room handlers", () => {
  it("make the creator the owner and only member, announced to the creator in the same transaction", async () => {
    const alice = await f.user();
    const before = (await f.events()).length;
    const id = await create(alice, { name: "  Launch  " });
    expect(await f.stores.memberships.list(id)).toMatchObject([{ user_id: alice.id, owner: true }]);
    expect((await f.stores.streams.byId(id))?.name).toBe("Launch");
    expect((await f.events()).slice(before)).toEqual([
      { type: "ROOMCREATED", recipients: [alice.id] },
      { type: "USERJOINEDROOM", recipients: [alice.id] },
    ]);
  });

  it("refuse a room without a name", async () => {
    const alice = await f.user();
    await expect(rooms.createRoom(CreateRoomRequest.fromPartial({ roomAttributes: { name: " " } }), await f.as(alice))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it("let only owners update or deactivate a room; members get PERMISSION_DENIED", async () => {
    const [owner, member] = [await f.user(), await f.user()];
    const id = await create(owner, { name: "Owned", membersCanInvite: true });
    await membership.addRoomMember({ streamId: id, user: { id: member.id } }, await f.as(owner));
    const update = UpdateRoomRequest.fromPartial({ streamId: id, roomAttributes: { description: "new" } });
    await expect(rooms.updateRoom(update, await f.as(member))).rejects.toMatchObject({ code: status.PERMISSION_DENIED, message: "Only room owners can do this" });
    await expect(rooms.setRoomActive(SetRoomActiveRequest.fromPartial({ streamId: id, active: false }), await f.as(member))).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    const updated = await rooms.updateRoom(update, await f.as(owner));
    // A partial update keeps what it does not name.
    expect(updated.room?.roomAttributes).toMatchObject({ name: "Owned", description: "new", membersCanInvite: true });
  });

  it("hide a room from non-members exactly as a missing one", async () => {
    const [owner, stranger] = [await f.user(), await f.user()];
    const id = await create(owner, { name: "Private" });
    const asStranger = await f.as(stranger);
    const refused = await rooms.getRoomInfo(GetRoomInfoRequest.fromPartial({ streamId: id }), asStranger).catch((e: unknown) => e);
    const missing = await rooms.getRoomInfo(GetRoomInfoRequest.fromPartial({ streamId: id.replace(/^./, id[0] === "A" ? "B" : "A") }), asStranger).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: status.PERMISSION_DENIED });
    expect(missing).toEqual(refused);
  });

  it("announce deactivation once: setting the state a room already has changes nothing", async () => {
    const owner = await f.user();
    const id = await create(owner, { name: "Toggle" });
    const before = (await f.events()).length;
    const ctx = await f.as(owner);
    expect((await rooms.setRoomActive(SetRoomActiveRequest.fromPartial({ streamId: id, active: false }), ctx)).room?.roomSystemInfo?.active).toBe(false);
    await rooms.setRoomActive(SetRoomActiveRequest.fromPartial({ streamId: id, active: false }), ctx);
    expect((await f.events()).slice(before).map((e) => e.type)).toEqual(["ROOMDEACTIVATED"]);
  });

  it("find discoverable rooms and the reader's own; others only for an administrator who asks", async () => {
    const [owner, reader] = [await f.user(), await f.user()];
    const admin = await f.user({ roles: ["USER_PROVISIONING"] });
    const tag = `q${Date.now()}`;
    const open = await create(owner, { name: `${tag} open`, discoverable: true });
    const hidden = await create(owner, { name: `${tag} hidden` });
    const search = async (who: typeof reader, includeNonDiscoverable: boolean) =>
      (await rooms.searchRooms(SearchRoomsRequest.fromPartial({ query: { query: tag }, includeNonDiscoverable }), await f.as(who))).results!.rooms.map((r) => r.roomSystemInfo!.id).sort();
    expect(await search(reader, true)).toEqual([open]);
    expect(await search(owner, false)).toEqual([hidden, open].sort());
    expect(await search(admin, false)).toEqual([open]);
    expect(await search(admin, true)).toEqual([hidden, open].sort());
  });
});
