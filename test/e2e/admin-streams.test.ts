import { describe, expect, it } from "vitest";
import { adminBot, newBot, newRoom, raw } from "./harness.js";

// The admin stream listings through the gateway; every answer is checked against Symphony's OpenAPI file.

const sessionOf = async () => ({ sessionToken: (await adminBot()).sessionToken });

describe("POST /pod/v2/admin/streams/list", () => {
  it("lists every stream with the admin filters, newest first", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const roomId = await newRoom(alice.bot, [bob]);
    const im = await alice.bot.call<{ id: string }>("POST", "/pod/v1/im/create", [bob.userId]);

    const rooms = await raw("POST", "/pod/v2/admin/streams/list?limit=100", { headers: await sessionOf(), json: { streamTypes: [{ type: "ROOM" }], status: "ACTIVE" } });
    expect(rooms.status).toBe(200);
    const body = rooms.body as { count: number; skip: number; limit: number; filter: unknown; streams: { id: string; type: string }[] };
    expect(body).toMatchObject({ skip: 0, limit: 100, filter: { streamTypes: [{ type: "ROOM" }], status: "ACTIVE" } });
    expect(body.streams.every((s) => s.type === "ROOM")).toBe(true);
    expect(body.streams.find((s) => s.id === roomId)).toEqual({
      id: roomId,
      isExternal: false,
      isActive: true,
      isPublic: false,
      type: "ROOM",
      crossPod: false,
      origin: "INTERNAL",
      attributes: expect.objectContaining({ roomName: expect.stringMatching(/^room /), createdByUserId: alice.userId, membersCount: 2, createdDate: expect.any(Number) }),
    });

    const ims = await raw("POST", "/pod/v2/admin/streams/list?limit=100", { headers: await sessionOf(), json: { streamTypes: [{ type: "IM" }], privacy: "PRIVATE" } });
    expect(ims.status).toBe(200);
    const imInfo = (ims.body as { streams: { id: string; attributes: { members: number[] } }[] }).streams.find((s) => s.id === im.id);
    expect(imInfo?.attributes.members).toEqual([alice.userId, bob.userId].sort((a, b) => a - b));

    const external = await raw("POST", "/pod/v2/admin/streams/list", { headers: await sessionOf(), json: { scope: "EXTERNAL" } });
    expect(external.body).toMatchObject({ count: 0 });
    expect((external.body as { streams?: unknown[] }).streams ?? []).toEqual([]);
    const future = await raw("POST", "/pod/v2/admin/streams/list", { headers: await sessionOf(), json: { startDate: Date.now() + 3_600_000 } });
    expect(future.body).toMatchObject({ count: 0 });
  });

  it("refuses non-administrators (403) and bad filters (400)", async () => {
    const bot = await newBot();
    expect((await raw("POST", "/pod/v2/admin/streams/list", { headers: { sessionToken: bot.bot.sessionToken }, json: {} })).status).toBe(403);
    for (const [query, json] of [
      ["", { status: "SLEEPING" }],
      ["", { streamTypes: [{ type: "CHANNEL" }] }],
      ["", { startDate: 10, endDate: 5 }],
      ["?limit=101", {}],
    ] as const) {
      const res = await raw("POST", `/pod/v2/admin/streams/list${query}`, { headers: await sessionOf(), json });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 400, message: expect.any(String) });
    }
  });
});

describe("POST /pod/v1/admin/user/{uid}/streams/list", () => {
  it("lists a user's streams oldest first, 204 when there are none, 400 for an unknown user", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const first = await newRoom(alice.bot, [bob]);
    const second = await newRoom(alice.bot, [bob]);

    const res = await raw("POST", `/pod/v1/admin/user/${bob.userId}/streams/list`, { headers: await sessionOf(), json: { streamTypes: [{ type: "ROOM" }] } });
    expect(res.status).toBe(200);
    expect((res.body as { id: string }[]).map((s) => s.id)).toEqual([first, second]);

    const loner = await newBot("loner");
    expect((await raw("POST", `/pod/v1/admin/user/${loner.userId}/streams/list`, { headers: await sessionOf(), json: {} })).status).toBe(204);
    expect((await raw("POST", "/pod/v1/admin/user/999999999/streams/list", { headers: await sessionOf(), json: {} })).status).toBe(400);
    expect((await raw("POST", `/pod/v1/admin/user/${bob.userId}/streams/list`, { headers: { sessionToken: loner.bot.sessionToken }, json: {} })).status).toBe(403);
  });
});
