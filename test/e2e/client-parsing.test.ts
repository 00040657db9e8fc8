import { describe, expect, it } from "vitest";
import { createFeed } from "./feeds.js";
import { authHeaders, newBot, newRoom, raw } from "./harness.js";

// What the official clients' generated models demand of an answer, beyond what the OpenAPI allows.
describe("answers as the official clients parse them", () => {
  it("a quiet v5 read still carries events [] and an ackId, and the next read accepts that ackId", async () => {
    const bot = await newBot();
    const feed = await createFeed(bot);
    const quiet = await raw("POST", `/agent/v5/datafeeds/${feed}/read`, { headers: authHeaders(bot.bot), json: { ackId: "" } });
    expect(quiet.status).toBe(200);
    expect(quiet.body).toEqual({ events: [], ackId: expect.stringMatching(/^[\w-]+$/) });
    const next = await raw("POST", `/agent/v5/datafeeds/${feed}/read`, { headers: authHeaders(bot.bot), json: { ackId: (quiet.body as { ackId: string }).ackId } });
    expect(next.status).toBe(200);
  });

  it("empty lists and zero counts are present, e.g. a room search that finds nothing", async () => {
    const bot = await newBot();
    const res = await raw("POST", "/pod/v3/room/search", { headers: { sessionToken: bot.bot.sessionToken }, json: { query: `nothing-${Date.now()}` } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ count: 0, skip: 0, rooms: [] });
  });

  it("accepts a body-less POST sent with Content-Type: application/json, as the Python BDK sends it", async () => {
    const bot = await newBot();
    const room = await newRoom(bot.bot);
    const headers = { sessionToken: bot.bot.sessionToken, "content-type": "application/json" };
    const off = await raw("POST", `/pod/v1/room/${room}/setActive?active=False`, { headers, body: "" });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ roomSystemInfo: { active: false } });
    const on = await raw("POST", `/pod/v1/room/${room}/setActive?active=True`, { headers });
    expect(on.body).toMatchObject({ roomSystemInfo: { active: true } });
    const malformed = await raw("POST", `/pod/v1/room/${room}/setActive?active=true`, { headers, body: "{" });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ code: 400, message: "Malformed JSON body" });
  });

  it("answers a Symphony path the mesh does not offer yet with a clear 400, never a 405 of a neighbour route", async () => {
    const bot = await newBot();
    for (const [method, path] of [["POST", "/agent/v1/message/search"], ["GET", "/agent/v1/message/search"], ["POST", "/agent/v1/message/import"]] as const) {
      const res = await raw(method, path, { headers: authHeaders(bot.bot), json: method === "POST" ? {} : undefined });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.body).toEqual({ code: 400, message: `${path} is not offered by this pod yet` });
    }
  });
});
