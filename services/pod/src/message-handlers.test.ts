import { MAX_PAGE_BYTES, newSymphonyId, status } from "@symphony/kit";
import { CreateRoomRequest, ListMessagesRequest, StoreMessageRequest } from "@symphony/proto/pod/v1/pod_service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { internalHandlers } from "./internal-handlers.js";
import { messageHandlers } from "./message-handlers.js";
import { roomHandlers } from "./room-handlers.js";
import { roomMembershipHandlers } from "./room-membership-handlers.js";
import type { UserRow } from "./schema.js";
import { podFixture, type PodFixture } from "./test-fixture.js";

let f: PodFixture;
let messages: ReturnType<typeof messageHandlers>;

beforeAll(async () => {
  f = await podFixture("test_pod_messages");
  messages = messageHandlers(f.c);
});
afterAll(() => f.close());

/** A room of the owner and these members. */
async function room(owner: UserRow, ...members: UserRow[]): Promise<string> {
  const id = (await roomHandlers(f.c).createRoom(CreateRoomRequest.fromPartial({ roomAttributes: { name: "chat" } }), await f.as(owner))).room!.roomSystemInfo!.id;
  for (const m of members) await roomMembershipHandlers(f.c).addRoomMember({ streamId: id, user: { id: m.id } }, await f.as(owner));
  return id;
}

const send = async (by: UserRow, streamId: string, text = "hello") => {
  const messageId = newSymphonyId();
  await messages.storeMessage(StoreMessageRequest.fromPartial({ streamId, messageId, ciphertext: Buffer.from(text) }), await f.as(by));
  return messageId;
};
const read = async (by: UserRow, streamId: string) =>
  (await messages.listMessages(ListMessagesRequest.fromPartial({ streamId }), await f.as(by))).messages.map((m) => m.ciphertext.toString());

describe("message handlers", () => {
  it("store a member's message with its event for the members, and nothing for a non-member", async () => {
    const [alice, bob, mallory] = [await f.user(), await f.user(), await f.user()];
    const id = await room(alice, bob);
    const before = (await f.events()).length;
    await send(bob, id, "hi all");
    await expect(send(mallory, id, "let me in")).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    expect(await read(alice, id)).toEqual(["hi all"]);
    expect((await f.events()).slice(before)).toEqual([{ type: "MESSAGESENT", recipients: [alice.id, bob.id].sort((a, b) => a - b) }]);
  });

  it("let only members read, and no one write to a deactivated stream", async () => {
    const [alice, mallory] = [await f.user(), await f.user()];
    const id = await room(alice);
    const messageId = await send(alice, id);
    await expect(read(mallory, id)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(messages.getMessage({ messageId }, await f.as(mallory))).rejects.toMatchObject({ code: status.NOT_FOUND });
    await f.stores.streams.update(id, { active: false });
    await expect(send(alice, id)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  });

  it("show a member who joined a room without viewHistory only what was sent since, and all of it with viewHistory", async () => {
    const [alice, bob] = [await f.user(), await f.user()];
    const roomWith = async (viewHistory: boolean) =>
      (await roomHandlers(f.c).createRoom(CreateRoomRequest.fromPartial({ roomAttributes: { name: "h", viewHistory } }), await f.as(alice))).room!.roomSystemInfo!.id;
    const [closed, open] = [await roomWith(false), await roomWith(true)];
    const before = { closed: await send(alice, closed, "before"), open: await send(alice, open, "before") };
    f.clock.now += 1_000;
    for (const id of [closed, open]) await roomMembershipHandlers(f.c).addRoomMember({ streamId: id, user: { id: bob.id } }, await f.as(alice));
    f.clock.now += 1_000;
    for (const id of [closed, open]) await send(alice, id, "after");
    expect(await read(bob, closed)).toEqual(["after"]);
    await expect(messages.getMessage({ messageId: before.closed }, await f.as(bob))).rejects.toMatchObject({ code: status.NOT_FOUND });
    expect(await read(bob, open)).toEqual(["before", "after"]);
    expect((await messages.getMessage({ messageId: before.open }, await f.as(bob))).message?.messageId).toBe(before.open);
    // The room's creator was there from the start.
    expect(await read(alice, closed)).toEqual(["before", "after"]);
    // The key manager is told to rotate for the closed room only, and learns from when bob may read.
    expect(f.notices.accessRevoked.filter((n) => n.userId === bob.id)).toEqual([{ streamId: closed, userId: bob.id }]);
    const internal = internalHandlers(f.c);
    expect(await internal.checkMembership({ streamId: closed, userId: bob.id }, await f.as(alice))).toEqual({ member: true, owner: false, historyFrom: expect.any(Number) });
    expect((await internal.checkMembership({ streamId: closed, userId: bob.id }, await f.as(alice))).historyFrom).toBeGreaterThan(0);
    expect(await internal.checkMembership({ streamId: open, userId: bob.id }, await f.as(alice))).toEqual({ member: true, owner: false, historyFrom: 0 });
    expect((await internal.checkMembership({ streamId: closed, userId: alice.id }, await f.as(alice))).historyFrom).toBeGreaterThan(0);
  });

  it("bound a page of history in bytes as well as in count; the reader pages on with skip", async () => {
    const [alice] = [await f.user()];
    const id = await room(alice);
    for (const text of ["a", "b", "c"]) await send(alice, id, text.repeat(MAX_PAGE_BYTES / 2 - 1024));
    const page = async (skip: number) =>
      (await messages.listMessages(ListMessagesRequest.fromPartial({ streamId: id, skip, limit: 10 }), await f.as(alice))).messages.map((m) => m.ciphertext.toString()[0]);
    const [first, rest] = [await page(0), await page(2)];
    expect(first).toHaveLength(2);
    expect([...first, ...rest].sort()).toEqual(["a", "b", "c"]);
  });

  it("stop showing a former member the stream's messages", async () => {
    const [alice, bob] = [await f.user(), await f.user()];
    const id = await room(alice, bob);
    const messageId = await send(alice, id);
    expect((await messages.getMessage({ messageId }, await f.as(bob))).message?.messageId).toBe(messageId);
    await roomMembershipHandlers(f.c).removeRoomMember({ streamId: id, user: { id: bob.id } }, await f.as(bob));
    await expect(messages.getMessage({ messageId }, await f.as(bob))).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it("hide a suppressed message from every reader and announce it once", async () => {
    const [alice, moderator] = [await f.user(), await f.user({ roles: ["CONTENT_MANAGEMENT"] })];
    const id = await room(alice);
    const messageId = await send(alice, id, "oops");
    const before = (await f.events()).length;
    await messages.suppressMessage({ messageId }, await f.as(moderator));
    expect(await read(alice, id)).toEqual([]);
    await expect(messages.suppressMessage({ messageId }, await f.as(moderator))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((await f.events()).slice(before)).toEqual([{ type: "MESSAGESUPPRESSED", recipients: [alice.id] }]);
  });

  it("send a form's answer to the form's author only, while both are members", async () => {
    const [bot, alice, carol] = [await f.user(), await f.user(), await f.user()];
    const id = await room(bot, alice, carol);
    const formMessageId = await send(bot, id, "<form>");
    const answer = async (by: UserRow, messageId = formMessageId) =>
      messages.submitElementsAction({ streamId: id, formMessageId: messageId, actionId: newSymphonyId(), ciphertext: Buffer.from("{}") }, await f.as(by));
    const before = (await f.events()).length;
    await answer(alice);
    expect((await f.events()).slice(before)).toEqual([{ type: "SYMPHONYELEMENTSACTION", recipients: [bot.id] }]);
    await expect(answer(alice, newSymphonyId())).rejects.toMatchObject({ code: status.NOT_FOUND });
    await roomMembershipHandlers(f.c).removeRoomMember({ streamId: id, user: { id: bot.id } }, await f.as(bot));
    await expect(answer(carol)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, message: "The author of the form is no longer a member of the stream" });
  });
});
