import { status } from "@symphony/kit";
import { AdminListStreamsRequest, CreateRoomRequest, ListStreamsRequest } from "@symphony/proto/pod/v1/pod_service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imHandlers } from "./im-handlers.js";
import { roomHandlers } from "./room-handlers.js";
import type { UserRow } from "./schema.js";
import { streamHandlers } from "./stream-handlers.js";
import { podFixture, type PodFixture } from "./test-fixture.js";

let f: PodFixture;
let streams: ReturnType<typeof streamHandlers>;

beforeAll(async () => {
  f = await podFixture("test_pod_streams");
  streams = streamHandlers(f.c);
});
afterAll(() => f.close());

const room = async (owner: UserRow, name: string) =>
  (await roomHandlers(f.c).createRoom(CreateRoomRequest.fromPartial({ roomAttributes: { name } }), await f.as(owner))).room!.roomSystemInfo!.id;

describe("stream handlers", () => {
  it("list the caller's own streams, with an IM's members", async () => {
    const [alice, bob] = [await f.user(), await f.user()];
    const own = await room(alice, "mine");
    await room(bob, "not mine");
    const im = (await imHandlers(f.c).createIm({ userIds: [bob.id] }, await f.as(alice))).stream!.id;
    const listed = (await streams.listStreams(ListStreamsRequest.fromPartial({}), await f.as(alice))).streams;
    expect(listed.map((s) => s.id).sort()).toEqual([own, im].sort());
    // Postgres int8[] arrives as strings; the gRPC encoder writes them as the same int64s.
    expect(listed.find((s) => s.id === im)?.streamAttributes?.members.map(Number)).toEqual([alice.id, bob.id].sort((a, b) => a - b));
    await expect(streams.listStreams(ListStreamsRequest.fromPartial({ filter: { streamTypes: [{ type: "CHANNEL" }] } }), await f.as(alice))).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it("show a stream's info to its members only", async () => {
    const [alice, bob] = [await f.user(), await f.user()];
    const id = await room(alice, "info");
    expect((await streams.getStreamInfo({ streamId: id }, await f.as(alice))).stream?.roomAttributes?.name).toBe("info");
    await expect(streams.getStreamInfo({ streamId: id }, await f.as(bob))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  });

  it("give administrators every stream and its members, in pages of at most 100 streams", async () => {
    const [alice, admin] = [await f.user(), await f.user({ roles: ["ADMINISTRATOR"] })];
    const id = await room(alice, "audited");
    const page = (await streams.adminListStreamMembers({ streamId: id, skip: 0, limit: 0 }, await f.as(admin))).page!;
    expect(page).toMatchObject({ count: 1, limit: 100, members: [{ user: { userId: alice.id }, isOwner: true, isCreator: true }] });
    await expect(streams.adminListStreams(AdminListStreamsRequest.fromPartial({ limit: 101 }), await f.as(admin))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    // A single pod has no external streams.
    expect((await streams.adminListStreams(AdminListStreamsRequest.fromPartial({ filter: { origin: "EXTERNAL" } }), await f.as(admin))).count).toBe(0);
  });
});
