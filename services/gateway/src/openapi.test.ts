import { createLogger } from "@symphony/kit";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGateway } from "./app.js";
import { buildOpenApi } from "./openapi.js";
import { loadRoutes } from "./routes.js";
import type { Upstreams } from "./upstream.js";

// The document the gateway serves at /openapi.json: valid OpenAPI 3.1, and exactly the operations
// its router answers, no more and no fewer.

type Doc = { openapi: string; paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; responses: Record<string, unknown> }>> };
const routes = loadRoutes();
const built = buildOpenApi(routes, "0.0.0-test");
const document = built as Doc;
const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path })));
const fastifyUrl = (path: string) => path.replace(/\{([a-z0-9_]+)\}/g, ":$1");
let app: FastifyInstance;

beforeAll(async () => {
  // No call reaches an upstream here: the router alone is under test.
  app = await buildGateway({ routes, upstreams: {} as Upstreams, logger: createLogger("test", "silent"), openApi: () => document });
});
afterAll(() => app.close());

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    expect(document.openapi).toBe("3.1.0");
    const result = await new Validator().validate(built);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("lists every routed operation and nothing else", () => {
    const routed = routes.map((r) => `${r.httpMethod} ${r.url}`).sort();
    expect(operations.map((o) => `${o.method} ${fastifyUrl(o.path)}`).sort()).toEqual(routed);
    for (const o of operations) expect(app.hasRoute({ method: o.method as "GET", url: fastifyUrl(o.path) }), `${o.method} ${o.path}`).toBe(true);
    expect(new Set(Object.values(document.paths).flatMap((m) => Object.values(m).map((op) => op.operationId))).size).toBe(operations.length);
  });

  it("uses the official schemas where Symphony defines the operation", () => {
    const create = document.paths["/pod/v3/room/create"]?.post;
    expect(JSON.stringify(create?.requestBody)).toContain('"$ref":"#/components/schemas/pod.V3RoomAttributes"');
    expect(JSON.stringify(create?.responses["200"])).toContain('"$ref":"#/components/schemas/pod.V3RoomDetail"');
    const send = document.paths["/agent/v4/stream/{sid}/message/create"]?.post ?? Object.entries(document.paths).find(([p]) => p.startsWith("/agent/v4/stream/") && p.endsWith("/message/create"))?.[1].post;
    expect(JSON.stringify(send?.responses["200"])).toContain("#/components/schemas/agent.V4Message");
  });

  it("is served at /openapi.json, with Swagger UI at /docs from local assets", async () => {
    const served = await app.inject({ method: "GET", url: "/openapi.json" });
    expect(served.statusCode).toBe(200);
    expect(served.json()).toEqual(document);
    const page = await app.inject({ method: "GET", url: "/docs" });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/https?:\/\//);
    for (const asset of page.body.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)) {
      expect((await app.inject({ method: "GET", url: asset[1]! })).statusCode, asset[1]).toBe(200);
    }
  });
});
