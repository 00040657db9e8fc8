import { describe, expect, it } from "vitest";
import { createFeed, read, readUntil } from "./feeds.js";
import { authHeaders, newBot, newRoom, raw } from "./harness.js";

// Issue 14: no single message or member stops a datafeed for others.

describe("datafeeds survive events their reader cannot read", () => {
  it("keep delivering a removed member's later events (an IM) at once, skipping the message whose key is now refused", async () => {
    const owner = await newBot("owner");
    const member = await newBot("member");
    const feed = await createFeed(member);
    const roomId = await newRoom(owner.bot, [member]);
    await owner.bot.sendMessage(roomId, "<messageML>before the removal</messageML>");
    await owner.bot.call("POST", `/pod/v1/room/${roomId}/membership/remove`, { id: member.userId });
    const im = await owner.bot.call<{ id: string }>("POST", "/pod/v1/im/create", [member.userId]);
    await owner.bot.sendMessage(im.id, "<messageML>a new conversation</messageML>");

    const events = await readUntil(member, feed, 0, 15_000, (es) => es.some((e) => e.type === "MESSAGESENT" && e.payload.messageSent?.message?.stream?.streamId === im.id));
    const messages = events.filter((e) => e.type === "MESSAGESENT");
    expect(messages.map((e) => e.payload.messageSent?.message?.stream?.streamId)).toEqual([im.id]);
    expect(messages[0]!.payload.messageSent?.message?.message).toContain("a new conversation");
    expect(events.map((e) => e.type)).toContain("USERLEFTROOM");
    // And the feed keeps answering 200 afterwards.
    expect((await read(member, feed)).events).toBeDefined();
  });
});

describe("one size limit", () => {
  it("delivers a message of nearly the cap (1.5 MB) to a datafeed, larger than the bus's default max_payload", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const feed = await createFeed(bob);
    const roomId = await newRoom(alice.bot, [bob]);
    const text = "x".repeat(1_400_000);
    await alice.bot.sendMessage(roomId, `<messageML>${text}</messageML>`);
    await alice.bot.sendMessage(roomId, "<messageML>small after big</messageML>");
    const events = await readUntil(bob, feed, 0, 20_000, (es) => es.filter((e) => e.type === "MESSAGESENT").length >= 2);
    const bodies = events.filter((e) => e.type === "MESSAGESENT").map((e) => e.payload.messageSent?.message?.message ?? "");
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toContain(text);
    expect(bodies[1]).toContain("small after big");
  });

  it("answers a message and data over 1.5 MB with a 400 and Symphony's error body", async () => {
    const alice = await newBot("alice");
    const roomId = await newRoom(alice.bot);
    const res = await raw("POST", `/agent/v4/stream/${roomId}/message/create`, {
      headers: authHeaders(alice.bot),
      json: { message: `<messageML>${"y".repeat(1_000_000)}</messageML>`, data: JSON.stringify({ blob: "z".repeat(600_000) }) },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, message: expect.stringMatching(/exceed the limit/) });
  });
});
