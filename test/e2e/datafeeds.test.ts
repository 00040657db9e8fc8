import { SymphonyBot } from "@symphony/sdk";
import { describe, expect, it } from "vitest";
import { createFeed, read, readUntil, type V4Event } from "./feeds.js";
import { adminBot, authHeaders, mesh, newBot, newRoom, raw, validatingFetch, type TestBot } from "./harness.js";

const FEED_ID = /^[^\s_]+_f(_[^\s_]+)?$/;
const PML = (inner: string) => `<div data-format="PresentationML" data-version="2.0">${inner}</div>`;

describe("datafeed v5 lifecycle", () => {
  it("creates (201), lists, deletes (204) feeds; a deleted feed's read is 400", async () => {
    const bot = await newBot();
    const id = await createFeed(bot);
    expect(id).toMatch(FEED_ID);
    const list = await raw("GET", "/agent/v5/datafeeds", { headers: authHeaders(bot.bot) });
    expect(list.body).toEqual([{ id, createdAt: expect.any(Number), type: "fanout" }]);
    const tagged = await createFeed(bot, { tag: "worker-1" });
    // The Java BDK's rule: a tagged feed's id is the tag, type fanout.
    expect(tagged).toBe("worker-1");
    expect(await createFeed(bot, { tag: "worker-1" })).toBe(tagged);
    expect((await raw("GET", "/agent/v5/datafeeds?tag=worker-1", { headers: authHeaders(bot.bot) })).body).toEqual([expect.objectContaining({ id: tagged, type: "fanout" })]);
    expect((await raw("DELETE", `/agent/v5/datafeeds/${id}`, { headers: authHeaders(bot.bot) })).status).toBe(204);
    const gone = await raw("POST", `/agent/v5/datafeeds/${id}/read`, { headers: authHeaders(bot.bot), json: { ackId: "" } });
    expect(gone.status).toBe(400);
    expect(gone.body).toEqual({ code: 400, message: expect.stringContaining("create a new one") });
  });

  it("refuses a sixth feed per user with a 400 (the only client error the spec lists for create)", async () => {
    const bot = await newBot();
    for (let i = 0; i < 5; i++) await createFeed(bot);
    const res = await raw("POST", "/agent/v5/datafeeds", { headers: authHeaders(bot.bot), json: {} });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, message: "A user may have at most 5 datafeeds" });
  });

  it("answers unknown feeds, other users' feeds and malformed ackIds with 400", async () => {
    const a = await newBot();
    const b = await newBot();
    const feedA = await createFeed(a);
    const feedB = await createFeed(b);
    for (const [feed, ackId] of [["nope_f", ""], ["../../x", ""], [feedB, ""], [feedA, "!!!"], [feedA, "AAAA"], [feedA, "x".repeat(70_000)]]) {
      const res = await raw("POST", `/agent/v5/datafeeds/${encodeURIComponent(feed!)}/read`, { headers: authHeaders(a.bot), json: { ackId } });
      expect(res.status, `${feed} ${ackId!.slice(0, 10)}`).toBe(400);
    }
    expect((await raw("DELETE", `/agent/v5/datafeeds/${feedB}`, { headers: authHeaders(a.bot) })).status).toBe(400);
  });
});

describe("datafeed v5 delivery", () => {
  it("delivers room, membership and decrypted message events to every member, with the right initiator; nothing to outsiders", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const carol = await newBot("carol");
    const [feedA, feedB, feedC] = [await createFeed(alice), await createFeed(bob), await createFeed(carol)];
    const roomId = await newRoom(alice.bot, [bob]);
    const sent = await alice.bot.sendMessage(roomId, "<messageML>hello <b>feed</b></messageML>");

    const bobs = await readUntil(bob, feedB, 2);
    expect(bobs.map((e) => e.type)).toEqual(["USERJOINEDROOM", "MESSAGESENT"]);
    const [joined, message] = bobs;
    expect(joined!.initiator.user.userId).toBe(alice.userId);
    expect(joined!.payload.userJoinedRoom).toMatchObject({ stream: { streamId: roomId }, affectedUser: { userId: bob.userId } });
    expect(message).toMatchObject({ messageId: sent.messageId, initiator: { user: { userId: alice.userId, username: alice.username } } });
    expect(message!.payload.messageSent!.message).toMatchObject({ messageId: sent.messageId, message: PML("hello <b>feed</b>") });

    const alices = await readUntil(alice, feedA, 4);
    expect(alices.map((e) => e.type)).toEqual(["ROOMCREATED", "USERJOINEDROOM", "USERJOINEDROOM", "MESSAGESENT"]);
    expect((await read(carol, feedC)).events).toEqual([]);
  });

  it("tells members when an administrator suppresses a message, which then disappears from reads", async () => {
    const alice = await newBot();
    const bob = await newBot();
    const feed = await createFeed(bob);
    const roomId = await newRoom(alice.bot, [bob]);
    const sent = await alice.bot.sendMessage(roomId, "<messageML>regrettable</messageML>");
    expect((await raw("POST", `/pod/v1/admin/messagesuppression/${sent.messageId}/suppress`, { headers: { sessionToken: alice.bot.sessionToken } })).status).toBe(403);
    const admin = await adminBot();
    const res = await raw("POST", `/pod/v1/admin/messagesuppression/${sent.messageId}/suppress`, { headers: { sessionToken: admin.sessionToken } });
    expect(res.body).toEqual({ messageId: sent.messageId, suppressed: true, suppressionDate: expect.any(Number) });
    expect((await raw("POST", `/pod/v1/admin/messagesuppression/${sent.messageId}/suppress`, { headers: { sessionToken: admin.sessionToken } })).status).toBe(400);

    const events = await readUntil(bob, feed, 3);
    expect(events.map((e) => e.type)).toEqual(["USERJOINEDROOM", "MESSAGESENT", "MESSAGESUPPRESSED"]);
    expect(events[2]).toMatchObject({ messageId: sent.messageId, payload: { messageSuppressed: { messageId: sent.messageId, stream: { streamId: roomId } } } });
    expect((await raw("GET", `/agent/v4/stream/${roomId}/message?since=0`, { headers: authHeaders(bob.bot) })).body).toEqual([]);
    expect((await raw("GET", `/agent/v1/message/${sent.messageId}`, { headers: authHeaders(bob.bot) })).status).toBe(204);
  });

  it("announces connection requests to the user asked and acceptances to the one who asked", async () => {
    const alice = await newBot();
    const bob = await newBot();
    const [feedA, feedB] = [await createFeed(alice), await createFeed(bob)];
    const asked = await raw("POST", "/pod/v1/connection/create", { headers: { sessionToken: alice.bot.sessionToken }, json: { userId: bob.userId } });
    expect(asked.body).toMatchObject({ userId: bob.userId, status: "PENDING_OUTGOING", requestCounter: 1 });
    expect((await raw("GET", `/pod/v1/connection/user/${alice.userId}/info`, { headers: { sessionToken: bob.bot.sessionToken } })).body).toMatchObject({ userId: alice.userId, status: "PENDING_INCOMING" });

    const requested = await readUntil(bob, feedB, 1);
    expect(requested).toMatchObject([{ type: "CONNECTIONREQUESTED", initiator: { user: { userId: alice.userId } }, payload: { connectionRequested: { toUser: { userId: bob.userId } } } }]);

    expect((await raw("POST", "/pod/v1/connection/accept", { headers: { sessionToken: alice.bot.sessionToken }, json: { userId: bob.userId } })).status).toBe(400);
    const accepted = await raw("POST", "/pod/v1/connection/accept", { headers: { sessionToken: bob.bot.sessionToken }, json: { userId: alice.userId } });
    expect(accepted.body).toMatchObject({ userId: alice.userId, status: "ACCEPTED" });
    const acceptedEvents = await readUntil(alice, feedA, 1);
    expect(acceptedEvents).toMatchObject([{ type: "CONNECTIONACCEPTED", initiator: { user: { userId: bob.userId } }, payload: { connectionAccepted: { fromUser: { userId: bob.userId } } } }]);
    expect((await raw("GET", "/pod/v1/connection/list?status=ACCEPTED", { headers: { sessionToken: alice.bot.sessionToken } })).body).toEqual([expect.objectContaining({ userId: bob.userId, status: "ACCEPTED" })]);

    expect((await raw("POST", "/pod/v1/connection/create", { headers: { sessionToken: alice.bot.sessionToken }, json: { userId: alice.userId } })).status).toBe(400);
    expect((await raw("POST", "/pod/v1/connection/create", { headers: { sessionToken: alice.bot.sessionToken }, json: { userId: 999999999999 } })).status).toBe(404);
    expect((await raw("GET", "/pod/v1/connection/list?status=MAYBE", { headers: { sessionToken: alice.bot.sessionToken } })).status).toBe(400);
  });

  it("the feed outlives the session: after logout and a new login the same feed reads on", async () => {
    const alice = await newBot();
    const feed = await createFeed(alice);
    await raw("POST", "/login/v1/logout", { headers: { sessionToken: alice.bot.sessionToken }, json: {} });
    const again = { ...alice, bot: await SymphonyBot.authenticate({ baseUrl: mesh().gatewayUrl, username: alice.username, privateKeyPem: alice.privateKeyPem, fetch: validatingFetch }) };
    await newRoom(again.bot);
    expect((await readUntil(again, feed, 2)).map((e) => e.type)).toEqual(["ROOMCREATED", "USERJOINEDROOM"]);
  });

  it("redelivers an unacknowledged batch after the 30 s ack wait, never an acknowledged one", { timeout: 90_000 }, async () => {
    const alice = await newBot();
    const feed = await createFeed(alice);
    const roomId = await newRoom(alice.bot);
    const first = await readUntilBatch(alice, feed, 2);
    // Not acknowledged: the next read sends no ackId.
    await alice.bot.sendMessage(roomId, "<messageML>second batch</messageML>");
    const second = await readUntilBatch(alice, feed, 1);
    expect(second.events.map((e) => e.type)).toEqual(["MESSAGESENT"]);
    // Acknowledge the second batch only, then wait for the first to come back.
    let ackId = second.ackId;
    const redelivered: V4Event[] = [];
    const until = Date.now() + 45_000;
    while (redelivered.length < 2 && Date.now() < until) {
      const batch = await read(alice, feed, ackId);
      redelivered.push(...batch.events);
      ackId = batch.ackId;
    }
    expect(redelivered.map((e) => e.id).sort()).toEqual(first.events.map((e) => e.id).sort());
  });
});

async function readUntilBatch(bot: TestBot, feedId: string, count: number): Promise<{ events: V4Event[]; ackId: string }> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const batch = await read(bot, feedId);
    if (batch.events.length >= count) return batch;
    expect(batch.events).toEqual([]);
  }
  throw new Error("events did not arrive");
}

describe("datafeed v4 (the official clients' v1 loop)", () => {
  it("creates a feed, reads events as an array, answers 204 on poll timeout, and each read acknowledges the previous", async () => {
    const alice = await newBot();
    const created = await raw("POST", "/agent/v4/datafeed/create", { headers: authHeaders(alice.bot), json: {} });
    expect(created.status).toBe(200);
    const id = (created.body as { id: string }).id;
    const readV4 = () => raw("GET", `/agent/v4/datafeed/${id}/read`, { headers: authHeaders(alice.bot) });

    expect((await readV4()).status).toBe(204);
    await newRoom(alice.bot);
    const events: V4Event[] = [];
    for (let i = 0; i < 8 && events.length < 2; i++) {
      const res = await readV4();
      if (res.status === 200) events.push(...(res.body as V4Event[]));
    }
    expect(events.map((e) => e.type)).toEqual(["ROOMCREATED", "USERJOINEDROOM"]);
    // This read acknowledged the batch before it: nothing is pending any more.
    expect((await readV4()).status).toBe(204);
  });

  it("keeps v4 and v5 feeds apart: each API answers 400 for the other's feed", async () => {
    const alice = await newBot();
    const v4 = ((await raw("POST", "/agent/v4/datafeed/create", { headers: authHeaders(alice.bot), json: {} })).body as { id: string }).id;
    const v5 = await createFeed(alice);
    expect((await raw("POST", `/agent/v5/datafeeds/${v4}/read`, { headers: authHeaders(alice.bot), json: {} })).status).toBe(400);
    expect((await raw("GET", `/agent/v4/datafeed/${v5}/read`, { headers: authHeaders(alice.bot) })).status).toBe(400);
    expect(((await raw("GET", "/agent/v5/datafeeds", { headers: authHeaders(alice.bot) })).body as { id: string }[]).map((f) => f.id)).toEqual([v5]);
  });
});
