import { randomBytes } from "node:crypto";
import { createClient, metadataOf, SESSION_TOKEN, status, unary } from "@symphony/kit";
import { PodServiceClient } from "@symphony/proto/pod/v1/pod_service";
import { describe, expect, it } from "vitest";
import { createFeed, read, readUntil, type V4Event } from "./feeds.js";
import { adminBot, authHeaders, mesh, newBot, newRoom, raw, type TestBot } from "./harness.js";
import { natsStreamContains, query } from "./km.js";

const PML = (inner: string) => `<div data-format="PresentationML" data-version="2.0">${inner}</div>`;
const secret = () => `secret-${randomBytes(6).toString("hex")}`;
const ofType = (events: V4Event[], type: string) => events.filter((e) => e.type === type);
const error = (code: number) => ({ code, message: expect.any(String) });

let podClient: PodServiceClient | undefined;
const pod = () => (podClient ??= createClient(PodServiceClient, mesh().grpcAddresses.pod, "pod", mesh().meshTls.operator!));

/** Tables of the pod's schema with a row that holds the text, as text or as bytes. */
async function podTablesContaining(needle: string): Promise<string[]> {
  const schema = `${mesh().schemaPrefix}_pod`;
  const tables = await query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = $1", [schema]);
  expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["messages", "outbox"]));
  const hits: string[] = [];
  for (const { table_name } of tables) {
    // row::text renders bytea as hex, so the hex form is searched too.
    const [row] = await query<{ n: string }>(`select count(*) as n from "${schema}"."${table_name}" r where position($1 in r::text) > 0 or position($2 in r::text) > 0`, [
      needle,
      Buffer.from(needle).toString("hex"),
    ]);
    if (Number(row!.n) > 0) hits.push(table_name);
  }
  return hits;
}

/** Sends a message that every member's feed receives after whatever was announced before it. */
async function sendMarker(sender: TestBot, streamId: string): Promise<string> {
  return (await sender.bot.sendMessage(streamId, "<messageML>marker</messageML>")).messageId;
}

/** A member's events up to the marker, and at least one event of `type` when `expectType` is given. */
function readThroughMarker(bot: TestBot, feedId: string, markerId: string, expectType?: string): Promise<V4Event[]> {
  return readUntil(bot, feedId, 0, 20_000, (events) => events.some((e) => e.messageId === markerId) && (!expectType || ofType(events, expectType).length > 0));
}

async function discoverableRoom(owner: TestBot, members: TestBot[]): Promise<string> {
  const room = await owner.bot.call<{ roomSystemInfo: { id: string } }>("POST", "/pod/v3/room/create", { name: `open ${randomBytes(4).toString("hex")}`, discoverable: true });
  for (const m of members) await owner.bot.call("POST", `/pod/v1/room/${room.roomSystemInfo.id}/membership/add`, { id: m.userId });
  return room.roomSystemInfo.id;
}

describe("SHAREDPOST", () => {
  it("shares an article into a stream: encrypted end to end, announced as SHAREDPOST to every member once, nothing to outsiders", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const carol = await newBot("carol");
    const [feedB, feedC] = [await createFeed(bob), await createFeed(carol)];
    const roomId = await newRoom(alice.bot, [bob]);
    const hidden = secret();
    const article = {
      articleId: "a-1",
      title: `Markets <rally> ${hidden}`,
      subTitle: "Equities",
      message: `Worth a read ${hidden}`,
      publisher: "Example News",
      publishDate: 1_700_000_000,
      author: "Jane Doe",
      articleUrl: "https://news.example.com/a?x=1&y=2",
      summary: "Stocks rose.",
      appId: "news-app",
    };

    const res = await raw("POST", `/agent/v3/stream/${roomId}/share`, { headers: authHeaders(alice.bot), json: { type: "com.symphony.sharing.article", content: article } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const post = res.body as { id: string };
    expect(post).toEqual({
      id: expect.stringMatching(/^[\w-]{34}$/),
      timestamp: expect.stringMatching(/^\d+$/),
      v2messageType: "V2Message",
      streamId: roomId,
      message: PML(`Worth a read ${hidden}`),
      fromUserId: alice.userId,
    });

    const events = await readUntil(bob, feedB, 0, 20_000, (evs) => ofType(evs, "SHAREDPOST").length > 0);
    expect(events.map((e) => e.type)).toEqual(["USERJOINEDROOM", "SHAREDPOST"]);
    const shared = events[1]!;
    expect(shared).toMatchObject({ messageId: post.id, initiator: { user: { userId: alice.userId } } });
    const { message, sharedMessage } = shared.payload.sharedPost!;
    expect(message).toMatchObject({ messageId: post.id, message: PML(`Worth a read ${hidden}`) });
    expect(sharedMessage!.message).toContain(`<b>Markets &lt;rally&gt; ${hidden}</b>`);
    expect(sharedMessage!.message).toContain('<a href="https://news.example.com/a?x=1&amp;y=2">');
    expect(JSON.parse(sharedMessage!.data!)).toEqual({ article: { type: "com.symphony.sharing.article", version: "1.0", ...article } });

    const listed = await raw("GET", `/agent/v4/stream/${roomId}/message?since=0`, { headers: authHeaders(bob.bot) });
    expect(listed.body).toEqual([expect.objectContaining({ messageId: post.id, sharedMessage: expect.objectContaining({ message: sharedMessage!.message }) })]);
    expect((await read(carol, feedC)).events).toEqual([]);
    expect(await podTablesContaining(hidden)).toEqual([]);
    expect(await natsStreamContains(hidden)).toBe(0);
  });

  it("refuses bad share bodies with 400 and non-members with 403, in Symphony's error body", async () => {
    const alice = await newBot();
    const outsider = await newBot();
    const roomId = await newRoom(alice.bot);
    const article = { title: "t", publisher: "p", author: "a", appId: "app", articleUrl: "https://example.com" };
    const share = (bot: TestBot, body: unknown) => raw("POST", `/agent/v3/stream/${roomId}/share`, { headers: authHeaders(bot.bot), json: body });
    for (const body of [
      { type: "com.symphony.sharing.video", content: article },
      { type: "com.symphony.sharing.article" },
      { type: "com.symphony.sharing.article", content: { ...article, title: "" } },
      { type: "com.symphony.sharing.article", content: { ...article, appId: " " } },
      { type: "com.symphony.sharing.article", content: { ...article, articleUrl: "" } },
      { type: "com.symphony.sharing.article", content: { ...article, articleUrl: "javascript:alert(1)" } },
      { type: "com.symphony.sharing.article", content: "an article" },
    ]) {
      const res = await share(alice, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toEqual(error(400));
    }
    expect((await share(alice, { type: "com.symphony.sharing.video", content: article })).body).toEqual({ code: 400, message: "type must be com.symphony.sharing.article" });
    const refused = await share(outsider, { type: "com.symphony.sharing.article", content: article });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(error(403));
  });
});

describe("SYMPHONYELEMENTSACTION", () => {
  it("delivers a member's form answer, decrypted, to the form's author only", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const carol = await newBot("carol");
    const dave = await newBot("dave");
    const [feedA, feedB, feedC, feedD] = [await createFeed(alice), await createFeed(bob), await createFeed(carol), await createFeed(dave)];
    const roomId = await newRoom(alice.bot, [bob, carol]);
    const form = await alice.bot.sendMessage(roomId, "<messageML>Order form</messageML>");
    const hidden = secret();
    const formValues = { action: "submit", quantity: hidden, details: { urgent: true, items: ["a", "b"] } };

    const res = await raw("POST", `/agent/v1/stream/${roomId}/message/${form.messageId}/form`, { headers: authHeaders(bob.bot), json: { formId: "order-form", formValues } });
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    const markerId = await sendMarker(alice, roomId);

    const actions = ofType(await readThroughMarker(alice, feedA, markerId, "SYMPHONYELEMENTSACTION"), "SYMPHONYELEMENTSACTION");
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({
      messageId: expect.stringMatching(/^[\w-]{34}$/),
      initiator: { user: { userId: bob.userId } },
      payload: { symphonyElementsAction: { stream: { streamId: roomId, streamType: "ROOM" }, formMessageId: form.messageId, formId: "order-form", formValues } },
    });
    expect(actions[0]!.messageId).not.toBe(form.messageId);
    expect(actions[0]!.diagnostic).toBeUndefined();
    for (const [member, feed] of [[bob, feedB], [carol, feedC]] as const) {
      expect(ofType(await readThroughMarker(member, feed, markerId), "SYMPHONYELEMENTSACTION")).toEqual([]);
    }
    expect((await read(dave, feedD)).events).toEqual([]);
    expect(await podTablesContaining(hidden)).toEqual([]);
    expect(await natsStreamContains(hidden)).toBe(0);
  });

  it("refuses outsiders (403), messages of other streams (404), bad bodies (400) and forms whose author left (400)", async () => {
    const alice = await newBot();
    const bob = await newBot();
    const carol = await newBot();
    const outsider = await newBot();
    const roomId = await newRoom(alice.bot, [bob, carol]);
    const otherRoom = await newRoom(alice.bot, [bob]);
    const form = await alice.bot.sendMessage(roomId, "<messageML>form</messageML>");
    const elsewhere = await alice.bot.sendMessage(otherRoom, "<messageML>elsewhere</messageML>");
    const submit = (bot: TestBot, messageId: string, body: unknown) =>
      raw("POST", `/agent/v1/stream/${roomId}/message/${messageId}/form`, { headers: authHeaders(bot.bot), json: body });
    const answer = { formId: "f", formValues: { action: "go" } };

    const cases: [TestBot, string, unknown, number][] = [
      [outsider, form.messageId, answer, 403],
      [bob, elsewhere.messageId, answer, 404],
      [bob, "not-a-message-id", answer, 400],
      [bob, form.messageId, { formValues: { action: "go" } }, 400],
      [bob, form.messageId, { formId: "f" }, 400],
      [bob, form.messageId, { formId: "f", formValues: "go" }, 400],
    ];
    for (const [bot, messageId, body, code] of cases) {
      const res = await submit(bot, messageId, body);
      expect(res.status, JSON.stringify(body)).toBe(code);
      expect(res.body).toEqual(error(code));
    }

    const carols = await carol.bot.sendMessage(roomId, "<messageML>carol's form</messageML>");
    await carol.bot.call("POST", `/pod/v1/room/${roomId}/membership/remove`, { id: carol.userId });
    const orphan = await submit(bob, carols.messageId, answer);
    expect(orphan.status).toBe(400);
    expect(orphan.body).toEqual({ code: 400, message: "The author of the form is no longer a member of the stream" });
  });
});

describe("USERREQUESTEDTOJOINROOM", () => {
  it("tells the room's owners (affectedUsers) that a user asked to join; members who are not owners and the requester hear nothing", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const carol = await newBot("carol");
    const dave = await newBot("dave");
    const [feedA, feedB, feedC, feedD] = [await createFeed(alice), await createFeed(bob), await createFeed(carol), await createFeed(dave)];
    const roomId = await discoverableRoom(alice, [bob, carol]);
    await alice.bot.call("POST", `/pod/v1/room/${roomId}/membership/promoteOwner`, { id: bob.userId });

    const res = await raw("POST", `/pod/v1/room/${roomId}/membership/request`, { headers: { sessionToken: dave.bot.sessionToken } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ format: "TEXT", message: expect.any(String) });
    const markerId = await sendMarker(alice, roomId);

    const owners = [alice.userId, bob.userId].sort((a, b) => a - b);
    for (const [owner, feed] of [[alice, feedA], [bob, feedB]] as const) {
      const requests = ofType(await readThroughMarker(owner, feed, markerId, "USERREQUESTEDTOJOINROOM"), "USERREQUESTEDTOJOINROOM");
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ initiator: { user: { userId: dave.userId } }, payload: { userRequestedToJoinRoom: { stream: { streamId: roomId, streamType: "ROOM" } } } });
      expect(requests[0]!.payload.userRequestedToJoinRoom!.affectedUsers!.map((u) => u.userId).sort((a, b) => a - b)).toEqual(owners);
    }
    expect(ofType(await readThroughMarker(carol, feedC, markerId), "USERREQUESTEDTOJOINROOM")).toEqual([]);
    expect((await read(dave, feedD)).events).toEqual([]);
  });

  it("refuses members (400), deactivated rooms (400), and rooms the user cannot find (403)", async () => {
    const alice = await newBot();
    const bob = await newBot();
    const dave = await newBot();
    const request = (bot: TestBot, roomId: string) => raw("POST", `/pod/v1/room/${roomId}/membership/request`, { headers: { sessionToken: bot.bot.sessionToken } });
    const open = await discoverableRoom(alice, [bob]);
    const hidden = await newRoom(alice.bot);
    const closed = await discoverableRoom(alice, []);
    await alice.bot.call("POST", `/pod/v1/room/${closed}/setActive?active=false`);

    for (const [bot, roomId, code] of [
      [bob, open, 400],
      [dave, closed, 400],
      [dave, hidden, 403],
      [dave, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 403],
      [dave, "nope", 400],
    ] as const) {
      const res = await request(bot, roomId);
      expect(res.status, `${roomId}`).toBe(code);
      expect(res.body).toEqual(error(code));
    }
  });
});

describe("GENERICSYSTEMEVENT", () => {
  it("announces an administrator's system event to the stream's members; refused to others and for bad input", async () => {
    const admin = await adminBot();
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const carol = await newBot("carol");
    const [feedA, feedB, feedC] = [await createFeed(alice), await createFeed(bob), await createFeed(carol)];
    const roomId = await newRoom(alice.bot, [bob]);
    const adminMd = metadataOf({ [SESSION_TOKEN]: admin.sessionToken });
    const event = { streamId: roomId, sourceSystem: "calendar", eventSubtype: "meeting.started", eventTimestamp: 1_700_000_000_000, parameters: { meetingId: "m-1", attendees: 3, tags: ["q4"] } };

    const { eventId } = await unary(pod(), pod().publishSystemEvent, event, adminMd);
    expect(eventId).toEqual(expect.any(String));
    for (const [member, feed] of [[alice, feedA], [bob, feedB]] as const) {
      const events = ofType(await readUntil(member, feed, 0, 20_000, (evs) => ofType(evs, "GENERICSYSTEMEVENT").length > 0), "GENERICSYSTEMEVENT");
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        id: eventId,
        initiator: { user: { username: "admin" } },
        payload: {
          genericSystemEvent: {
            stream: { streamId: roomId, streamType: "ROOM" },
            eventTimestamp: event.eventTimestamp,
            sourceSystem: "calendar",
            eventSubtype: "meeting.started",
            parameters: event.parameters,
          },
        },
      });
    }
    expect((await read(carol, feedC)).events).toEqual([]);

    const refusals: [string, object, status][] = [
      [alice.bot.sessionToken, event, status.PERMISSION_DENIED],
      [admin.sessionToken, { ...event, sourceSystem: " " }, status.INVALID_ARGUMENT],
      [admin.sessionToken, { ...event, eventSubtype: "" }, status.INVALID_ARGUMENT],
      [admin.sessionToken, { ...event, eventTimestamp: -1 }, status.INVALID_ARGUMENT],
      [admin.sessionToken, { ...event, streamId: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, status.NOT_FOUND],
    ];
    for (const [token, request, code] of refusals) {
      await expect(unary(pod(), pod().publishSystemEvent, { ...event, ...request }, metadataOf({ [SESSION_TOKEN]: token }))).rejects.toMatchObject({ code });
    }
  });
});

describe("room properties on ROOMCREATED and ROOMUPDATED", () => {
  it("carries every property the pod knows", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const [feedA, feedB] = [await createFeed(alice), await createFeed(bob)];
    const attributes = {
      name: `props ${randomBytes(4).toString("hex")}`,
      description: "all the flags",
      keywords: [{ key: "region", value: "EMEA" }],
      membersCanInvite: true,
      discoverable: true,
      public: false,
      readOnly: false,
      copyProtected: true,
      viewHistory: true,
    };
    const room = await alice.bot.call<{ roomSystemInfo: { id: string; creationDate: number } }>("POST", "/pod/v3/room/create", attributes);
    const roomId = room.roomSystemInfo.id;
    const properties = {
      name: attributes.name,
      description: "all the flags",
      creatorUser: expect.objectContaining({ userId: alice.userId, username: alice.username }),
      createdDate: room.roomSystemInfo.creationDate,
      public: false,
      readOnly: false,
      copyProtected: true,
      discoverable: true,
      membersCanInvite: true,
      keywords: [{ key: "region", value: "EMEA" }],
      canViewHistory: true,
      external: false,
      crossPod: false,
    };
    const created = ofType(await readUntil(alice, feedA, 2), "ROOMCREATED");
    expect(created).toHaveLength(1);
    expect(created[0]!.payload.roomCreated).toEqual({ stream: { streamId: roomId, streamType: "ROOM", roomName: attributes.name }, roomProperties: properties });

    await alice.bot.call("POST", `/pod/v1/room/${roomId}/membership/add`, { id: bob.userId });
    await alice.bot.call("POST", `/pod/v3/room/${roomId}/update`, { description: "changed", membersCanInvite: false });
    const updated = ofType(await readUntil(bob, feedB, 2), "ROOMUPDATED");
    expect(updated).toHaveLength(1);
    expect(updated[0]).toMatchObject({ initiator: { user: { userId: alice.userId } } });
    expect(updated[0]!.payload.roomUpdated!.newRoomProperties).toEqual({ ...properties, description: "changed", membersCanInvite: false });
  });
});

describe("connection removal", () => {
  it("removes an accepted connection (either side); 404 when there is none, 400 for pending ones and bad ids", async () => {
    const alice = await newBot();
    const bob = await newBot();
    const carol = await newBot();
    const as = (bot: TestBot) => ({ headers: { sessionToken: bot.bot.sessionToken } });
    await raw("POST", "/pod/v1/connection/create", { ...as(alice), json: { userId: bob.userId } });
    await raw("POST", "/pod/v1/connection/accept", { ...as(bob), json: { userId: alice.userId } });
    await raw("POST", "/pod/v1/connection/create", { ...as(alice), json: { userId: carol.userId } });

    const removed = await raw("POST", `/pod/v1/connection/user/${alice.userId}/remove`, as(bob));
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ format: "TEXT", message: "Connection Removed." });
    expect((await raw("GET", `/pod/v1/connection/user/${bob.userId}/info`, as(alice))).status).toBe(404);

    for (const [caller, uid, code] of [
      [bob, alice.userId, 404],
      [alice, carol.userId, 400],
      [bob, bob.userId, 400],
      [alice, 999_999_999_999, 404],
      [alice, "abc", 400],
    ] as const) {
      const res = await raw("POST", `/pod/v1/connection/user/${uid}/remove`, as(caller));
      expect(res.status, `${uid}`).toBe(code);
      expect(res.body).toEqual(error(code));
    }
  });
});
