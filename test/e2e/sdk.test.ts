import { randomBytes } from "node:crypto";
import {
  AuthenticationError,
  BadRequestError,
  ContentKeyCache,
  PermissionDeniedError,
  SymphonyBot,
  type DatafeedLoop,
  type V4Event,
} from "@symphony/sdk";
import { describe, expect, it } from "vitest";
import { adminBot, mesh, newBot, raw, rsaKeyPair, validatingFetch } from "./harness.js";

const PML = (inner: string) => `<div data-format="PresentationML" data-version="2.0">${inner}</div>`;
const text = (e: V4Event) => e.payload.messageSent?.message.message;

/** Runs a datafeed loop in the background, collecting what it yields, until the signal fires. */
async function collect(loop: DatafeedLoop): Promise<{ seen: V4Event[]; done: Promise<void> }> {
  const seen: V4Event[] = [];
  const done = (async () => {
    for await (const e of loop) seen.push(e);
  })();
  // What is sent from now on reaches the feed.
  await expect.poll(() => loop.feedId, { timeout: 30_000 }).toBeDefined();
  return { seen, done };
}

/** A fetch that counts the authentications it carries. */
function countingLogins() {
  const count = { logins: 0 };
  const fetch: typeof globalThis.fetch = (input, init) => {
    if (String(input).endsWith("/login/pubkey/authenticate")) count.logins++;
    return validatingFetch(input, init);
  };
  return { count, fetch };
}

describe("SDK authentication", () => {
  it("re-authenticates on a 401 after the session was logged out, and again after the key manager token was", async () => {
    const alice = await newBot("alice");
    const before = alice.bot.sessionToken;
    expect((await raw("POST", "/login/v1/logout", { headers: { sessionToken: before }, json: {} })).status).toBe(200);
    expect((await raw("GET", "/pod/v2/sessioninfo", { headers: { sessionToken: before } })).status).toBe(401);

    const room = await alice.bot.createRoom({ name: `after logout ${randomBytes(3).toString("hex")}` });
    expect(room.roomSystemInfo.id).toEqual(expect.any(String));
    expect(alice.bot.sessionToken).not.toBe(before);

    const kmBefore = alice.bot.keyManagerToken;
    expect((await raw("POST", "/relay/v1/logout", { headers: { keyManagerToken: kmBefore }, json: {} })).status).toBe(200);
    const keys = new ContentKeyCache(alice.bot);
    expect((await keys.currentKey(room.roomSystemInfo.id)).key).toHaveLength(32);
    expect(alice.bot.keyManagerToken).not.toBe(kmBefore);
  });

  it("concurrent calls that all meet a revoked session share one re-authentication", async () => {
    const { username, privateKeyPem } = await newBot("bob");
    const { count, fetch } = countingLogins();
    const bob = await SymphonyBot.authenticate({ baseUrl: mesh().gatewayUrl, username, privateKeyPem, fetch });
    await raw("POST", "/login/v1/logout", { headers: { sessionToken: bob.sessionToken }, json: {} });
    await Promise.all(Array.from({ length: 5 }, () => bob.call("GET", "/pod/v2/sessioninfo")));
    expect(count.logins).toBe(2);
  });

  it("a refused login is a typed AuthenticationError", async () => {
    const bot = await newBot();
    const wrongKey = rsaKeyPair().privateKeyPem;
    const err = await SymphonyBot.authenticate({ baseUrl: mesh().gatewayUrl, username: bot.username, privateKeyPem: wrongKey, fetch: validatingFetch }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ status: 401, code: 401 });
    const nobody = await SymphonyBot.authenticate({ baseUrl: mesh().gatewayUrl, username: `nobody-${randomBytes(4).toString("hex")}`, privateKeyPem: wrongKey }).catch((e: unknown) => e);
    expect(nobody).toBeInstanceOf(AuthenticationError);
  });

  it("when re-authentication itself is refused the call fails with AuthenticationError, once", async () => {
    const { username, privateKeyPem, userId } = await newBot("carol");
    const { count, fetch } = countingLogins();
    const carol = await SymphonyBot.authenticate({ baseUrl: mesh().gatewayUrl, username, privateKeyPem, fetch });
    await (await adminBot()).call("POST", `/pod/v1/admin/user/${userId}/status/update`, { status: "DISABLED" });
    await raw("POST", "/login/v1/logout", { headers: { sessionToken: carol.sessionToken }, json: {} });
    await expect(carol.sessionInfo()).rejects.toBeInstanceOf(AuthenticationError);
    expect(count.logins).toBe(2);
  });
});

describe("SDK rooms and messages", () => {
  it("creates a room, manages members, sends MessageML and lists it; failures are typed", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const eve = await newBot("eve");
    const room = await alice.bot.createRoom({ name: `sdk room ${randomBytes(3).toString("hex")}`, description: "sdk" });
    const roomId = room.roomSystemInfo.id;
    expect((await alice.bot.roomInfo(roomId)).roomAttributes.name).toBe(room.roomAttributes.name);

    await alice.bot.addRoomMember(roomId, bob.userId);
    expect((await alice.bot.roomMembers(roomId)).map((m) => m.id).sort()).toEqual([alice.userId, bob.userId].sort());
    const sent = await bob.bot.sendMessage(roomId, "<messageML>hello <b>alice</b></messageML>");
    expect(sent.message).toBe(PML("hello <b>alice</b>"));
    expect((await alice.bot.messages(roomId)).map((m) => m.messageId)).toEqual([sent.messageId]);

    await alice.bot.removeRoomMember(roomId, bob.userId);
    await expect(bob.bot.messages(roomId)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(eve.bot.sendMessage(roomId, "<messageML>let me in</messageML>")).rejects.toBeInstanceOf(PermissionDeniedError);
    const bad = await alice.bot.sendMessage(roomId, "<notMessageML/>").catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad).toMatchObject({ status: 400, code: 400, message: expect.any(String) });
  });
});

describe("SDK datafeed loop", () => {
  it("yields the messages of others, skips the bot's own, and ends when the signal fires", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const room = await alice.bot.createRoom({ name: `feed ${randomBytes(3).toString("hex")}` });
    await alice.bot.addRoomMember(room.roomSystemInfo.id, bob.userId);
    const stop = new AbortController();
    const { seen, done } = await collect(bob.bot.datafeed({ signal: stop.signal }));

    await bob.bot.sendMessage(room.roomSystemInfo.id, "<messageML>from bob</messageML>");
    await alice.bot.sendMessage(room.roomSystemInfo.id, "<messageML>from alice</messageML>");
    await expect.poll(() => seen.map(text), { timeout: 30_000 }).toContain(PML("from alice"));
    expect(seen.map(text)).not.toContain(PML("from bob"));
    expect(seen.every((e) => e.initiator?.user?.userId !== bob.userId)).toBe(true);
    stop.abort();
    await done;
  });

  it("re-creates the feed when it is deleted behind the loop's back and goes on", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const room = await alice.bot.createRoom({ name: `recreate ${randomBytes(3).toString("hex")}` });
    const roomId = room.roomSystemInfo.id;
    await alice.bot.addRoomMember(roomId, bob.userId);
    const stop = new AbortController();
    const loop = bob.bot.datafeed({ signal: stop.signal });
    const { seen, done } = await collect(loop);
    await alice.bot.sendMessage(roomId, "<messageML>one</messageML>");
    await expect.poll(() => seen.map(text), { timeout: 30_000 }).toContain(PML("one"));

    const firstFeed = loop.feedId!;
    const deleted = await raw("DELETE", `/agent/v5/datafeeds/${firstFeed}`, { headers: { sessionToken: bob.bot.sessionToken, keyManagerToken: bob.bot.keyManagerToken } });
    expect(deleted.status).toBe(204);
    // The next read meets the deleted feed (400) and the loop makes a new one.
    await expect.poll(() => loop.feedId !== undefined && loop.feedId !== firstFeed, { timeout: 30_000 }).toBe(true);
    await alice.bot.sendMessage(roomId, "<messageML>two</messageML>");
    await expect.poll(() => seen.map(text), { timeout: 30_000 }).toContain(PML("two"));
    expect((await bob.bot.call<{ id: string }[]>("GET", "/agent/v5/datafeeds")).map((f) => f.id)).toEqual([loop.feedId]);
    stop.abort();
    await done;
  });

  it("leaves a batch the consumer did not finish unacknowledged, so it comes back", { timeout: 120_000 }, async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const room = await alice.bot.createRoom({ name: `redeliver ${randomBytes(3).toString("hex")}` });
    await alice.bot.addRoomMember(room.roomSystemInfo.id, bob.userId);
    const loop = bob.bot.datafeed();
    const events = loop[Symbol.asyncIterator]();
    const first = events.next();
    await expect.poll(() => loop.feedId, { timeout: 30_000 }).toBeDefined();
    await alice.bot.sendMessage(room.roomSystemInfo.id, "<messageML>unfinished</messageML>");
    expect(text((await first).value as V4Event)).toBe(PML("unfinished"));
    // The consumer stops while holding the event: its batch is never acknowledged.
    await events.return?.();

    const stop = new AbortController();
    const again = bob.bot.datafeed({ signal: stop.signal });
    const { seen, done } = await collect(again);
    expect(again.feedId).toBe(loop.feedId);
    await expect.poll(() => seen.map(text), { timeout: 90_000, interval: 500 }).toContain(PML("unfinished"));
    stop.abort();
    await done;
  });

  it("ends the iteration with the typed error on a failure retrying cannot fix", async () => {
    const { bot } = await newBot();
    await expect(bot.datafeed({ tag: "not a valid tag!" })[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(BadRequestError);
  });
});
