import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { buildGateway } from "./app.js";
import { loadRoutes } from "./routes.js";
import type { Upstreams } from "./upstream.js";

// One access log line per request, through the gateway's logger, with nothing secret in it.

describe("the gateway access log", () => {
  it("writes one line per request naming the route and status, and no token, cookie or Authorization", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) });
    const unavailable = Object.assign(new Error("down"), { code: 14, details: "down", metadata: undefined });
    const upstreams = { call: () => Promise.reject(unavailable) } as unknown as Upstreams;
    const app = await buildGateway({ routes: loadRoutes(), upstreams, logger: pino({ level: "info" }, sink) });
    const secrets = { sessionToken: "S3CRET-SESSION", keyManagerToken: "S3CRET-KM", authorization: "Bearer S3CRET-AUTH", cookie: "sid=S3CRET-COOKIE" };
    await app.inject({ method: "GET", url: "/pod/v2/sessioninfo", headers: secrets });
    await app.inject({ method: "GET", url: "/nowhere?sessionToken=S3CRET-QUERY", headers: secrets });
    await app.close();

    const access = lines.filter((l) => l.msg === "request");
    expect(access).toEqual([
      expect.objectContaining({ level: 30, method: "GET", route: "/pod/v2/sessioninfo", status: 503, ms: expect.any(Number) }),
      expect.objectContaining({ method: "GET", route: "(unrouted)", status: 404 }),
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/S3CRET/);
  });
});
