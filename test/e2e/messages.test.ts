import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { authHeaders, newBot, newRoom, raw } from "./harness.js";

const PML = (inner: string) => `<div data-format="PresentationML" data-version="2.0">${inner}</div>`;
const STREAM_ID = /^[A-Za-z0-9_-]{34}$/;

describe("rooms and membership", () => {
  it("creates a room with a Symphony stream id and lists its members", async () => {
    const owner = await newBot("owner");
    const member = await newBot("member");
    const created = await raw("POST", "/pod/v3/room/create", { headers: { sessionToken: owner.bot.sessionToken }, json: { name: "Trading desk", description: "desk", public: false } });
    expect(created.status).toBe(200);
    const room = created.body as { roomAttributes: { name: string }; roomSystemInfo: { id: string; creationDate: number; createdByUserId: number; active: boolean } };
    expect(room.roomAttributes.name).toBe("Trading desk");
    expect(room.roomSystemInfo).toMatchObject({ id: expect.stringMatching(STREAM_ID), createdByUserId: owner.userId, active: true });

    const added = await raw("POST", `/pod/v1/room/${room.roomSystemInfo.id}/membership/add`, { headers: { sessionToken: owner.bot.sessionToken }, json: { id: member.userId } });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({ format: "TEXT", message: "Member added" });

    const list = await raw("GET", `/pod/v2/room/${room.roomSystemInfo.id}/membership/list`, { headers: { sessionToken: member.bot.sessionToken } });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      { id: owner.userId, owner: true, joinDate: expect.any(Number) },
      { id: member.userId, owner: false, joinDate: expect.any(Number) },
    ]);
  });

  it("hides a room from non-members exactly like a missing one", async () => {
    const owner = await newBot();
    const outsider = await newBot();
    const roomId = await newRoom(owner.bot);
    const headers = { sessionToken: outsider.bot.sessionToken };
    const hidden = await raw("GET", `/pod/v2/room/${roomId}/membership/list`, { headers });
    const missing = await raw("GET", `/pod/v2/room/7X1cP_3wMD4mr6rcp7j26X___oh4uDkVdA/membership/list`, { headers });
    expect(hidden.status).toBe(403);
    expect(hidden.body).toEqual(missing.body);
    const add = await raw("POST", `/pod/v1/room/${roomId}/membership/add`, { headers, json: { id: outsider.userId } });
    expect(add.status).toBe(403);
  });

  it("rejects a room without a name and garbage stream ids with 400", async () => {
    const owner = await newBot();
    const headers = { sessionToken: owner.bot.sessionToken };
    expect((await raw("POST", "/pod/v3/room/create", { headers, json: { description: "no name" } })).status).toBe(400);
    for (const id of ["abc", "..%2F..%2Fetc", "x".repeat(1024), "'%20OR%201=1--"]) {
      const res = await raw("GET", `/pod/v2/room/${id}/membership/list`, { headers });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 400, message: "Invalid stream id" });
    }
  });
});

describe("sending and reading encrypted messages", () => {
  it("converts MessageML, encrypts, stores and reads back through the agent (multipart and JSON)", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const roomId = await newRoom(alice.bot, [bob]);

    const form = new FormData();
    form.set("message", "<messageML>Hello <b>World</b> &amp; all\n\nof you</messageML>");
    const sent = await raw("POST", `/agent/v4/stream/${roomId}/message/create`, { headers: authHeaders(alice.bot), body: form });
    expect(sent.status).toBe(200);
    const msg = sent.body as Record<string, unknown>;
    expect(msg).toMatchObject({
      messageId: expect.stringMatching(STREAM_ID),
      timestamp: expect.any(Number),
      message: PML("Hello <b>World</b> &amp; all of you"),
      data: "{}",
      user: { userId: alice.userId, username: alice.username, displayName: `Bot ${alice.username}`, email: `${alice.username}@example.com` },
      stream: { streamId: roomId, streamType: "ROOM" },
      originalFormat: "com.symphony.messageml.v2",
    });

    const viaJson = await raw("POST", `/agent/v4/stream/${roomId}/message/create`, { headers: authHeaders(bob.bot), json: { message: "<messageML>second</messageML>" } });
    expect(viaJson.status).toBe(200);

    const list = await raw("GET", `/agent/v4/stream/${roomId}/message?since=0&limit=10`, { headers: authHeaders(bob.bot) });
    expect(list.status).toBe(200);
    const messages = list.body as { messageId: string; message: string; user: { userId: number } }[];
    expect(messages.map((m) => m.message)).toEqual([PML("Hello <b>World</b> &amp; all of you"), PML("second")]);
    expect(messages.map((m) => m.user.userId)).toEqual([alice.userId, bob.userId]);

    const one = await raw("GET", `/agent/v1/message/${msg.messageId as string}`, { headers: authHeaders(bob.bot) });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ messageId: msg.messageId, message: PML("Hello <b>World</b> &amp; all of you") });
  });

  it("renders mentions with the user's display name and EntityJSON", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const roomId = await newRoom(alice.bot, [bob]);
    const msg = await alice.bot.sendMessage(roomId, `<messageML>hi <mention uid="${bob.userId}"/></messageML>`);
    expect(msg.message).toBe(PML(`hi <span class="entity" data-entity-id="mention1">@Bot ${bob.username}</span>`));
    expect(JSON.parse(msg.data ?? "")).toEqual({
      mention1: { type: "com.symphony.user.mention", version: "1.0", id: [{ type: "com.symphony.user.userId", value: String(bob.userId) }] },
    });
  });

  it("answers 200 [] for a stream without messages since the given time (what the official clients parse)", async () => {
    const alice = await newBot();
    const roomId = await newRoom(alice.bot);
    const res = await raw("GET", `/agent/v4/stream/${roomId}/message?since=${Date.now() + 60_000}`, { headers: authHeaders(alice.bot) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it("gives a non-member the same answer as for a missing stream or message", async () => {
    const alice = await newBot();
    const eve = await newBot("eve");
    const roomId = await newRoom(alice.bot);
    const sent = await alice.bot.sendMessage(roomId, "<messageML>private</messageML>");
    const headers = authHeaders(eve.bot);

    const readHidden = await raw("GET", `/agent/v4/stream/${roomId}/message?since=0`, { headers });
    const readMissing = await raw("GET", `/agent/v4/stream/7X1cP_3wMD4mr6rcp7j26X___oh4uDkVdA/message?since=0`, { headers });
    expect(readHidden.status).toBe(403);
    expect(readHidden.body).toEqual(readMissing.body);

    const getHidden = await raw("GET", `/agent/v1/message/${sent.messageId}`, { headers });
    const getMissing = await raw("GET", `/agent/v1/message/XlU3OH9eVMzq-yss7M_xyn___oxwgbtGbQ`, { headers });
    expect(getHidden.status).toBe(204);
    expect([getMissing.status, getMissing.text]).toEqual([getHidden.status, getHidden.text]);

    const form = new FormData();
    form.set("message", "<messageML>intrusion</messageML>");
    const post = await raw("POST", `/agent/v4/stream/${roomId}/message/create`, { headers, body: form });
    expect(post.status).toBe(403);
    expect(post.text).not.toContain("private");
  });

  it("rejects bad message input with 400 and a V2Error, never 500", async () => {
    const alice = await newBot();
    const roomId = await newRoom(alice.bot);
    const headers = authHeaders(alice.bot);
    const bad = [
      "",
      "   ",
      "<messageML>unclosed",
      "<html>wrong root</html>",
      "<messageML><script>alert(1)</script></messageML>",
      '<messageML><a href="javascript:alert(1)">x</a></messageML>',
      '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><messageML>&e;</messageML>',
    ];
    for (const message of bad) {
      const form = new FormData();
      form.set("message", message);
      const res = await raw("POST", `/agent/v4/stream/${roomId}/message/create`, { headers, body: form });
      expect(res.status, message).toBe(400);
      expect(res.body).toEqual({ code: 400, message: expect.any(String) });
    }
  });

  it("rejects an empty multipart body and an oversized one", async () => {
    const alice = await newBot();
    const roomId = await newRoom(alice.bot);
    const headers = authHeaders(alice.bot);
    const empty = await raw("POST", `/agent/v4/stream/${roomId}/message/create`, { headers, body: new FormData() });
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({ code: 400, message: expect.any(String) });

    const huge = new FormData();
    huge.set("message", `<messageML>${randomBytes(1_200_000).toString("hex")}</messageML>`);
    const res = await raw("POST", `/agent/v4/stream/${roomId}/message/create`, { headers, body: huge });
    expect([400, 413]).toContain(res.status);
    expect(res.body).toEqual({ code: res.status, message: expect.any(String) });
  });

  it("validates query parameters instead of failing", async () => {
    const alice = await newBot();
    const roomId = await newRoom(alice.bot);
    const headers = authHeaders(alice.bot);
    for (const q of ["since=abc", "since=1e99", "since=0&limit=-1", "since=0&limit=100000", "since=0&skip=-5", "since='%20OR%201=1--"]) {
      const res = await raw("GET", `/agent/v4/stream/${roomId}/message?${q}`, { headers });
      expect(res.status, q).toBe(400);
      expect(res.body).toEqual({ code: 400, message: expect.any(String) });
    }
  });

  it("requires both tokens on agent calls", async () => {
    const alice = await newBot();
    const roomId = await newRoom(alice.bot);
    for (const headers of [{ sessionToken: alice.bot.sessionToken } as Record<string, string>, { keyManagerToken: alice.bot.keyManagerToken }, { sessionToken: alice.bot.sessionToken, keyManagerToken: "forged" }]) {
      const res = await raw("GET", `/agent/v4/stream/${roomId}/message?since=0`, { headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 401, message: expect.any(String) });
    }
  });

  it("answers unknown routes with 404 and wrong methods with 405", async () => {
    expect((await raw("GET", "/pod/v9/nothing")).status).toBe(404);
    expect((await raw("GET", "/login/pubkey/authenticate")).status).toBe(405);
  });
});
