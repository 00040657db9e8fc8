import { createLogger, KEY_MANAGER_TOKEN, SESSION_TOKEN, startGrpcServer, unaryService, type CallContext, type RunningServer } from "@symphony/kit";
import type { Metadata } from "@grpc/grpc-js";
import { AgentServiceService, type AgentServiceServer } from "@symphony/proto/agent/v1/agent_service";
import { PodServiceService, type PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGateway } from "./app.js";
import { loadRoutes } from "./routes.js";
import { Upstreams } from "./upstream.js";

// The gateway against real gRPC servers standing in for the pod and the agent, to see exactly
// what crosses the hop: which tokens travel, and how statuses come back.
const logger = createLogger("test", "silent");
const seen: { method: string; metadata: Metadata }[] = [];
let upstream: RunningServer;
let gateway: FastifyInstance;
let upstreams: Upstreams;

beforeAll(async () => {
  const record = (method: string) => async (_req: unknown, ctx: { metadata: Metadata }) => {
    seen.push({ method, metadata: ctx.metadata });
  };
  upstream = await startGrpcServer({
    port: 0,
    host: "127.0.0.1",
    logger,
    services: [
      {
        name: "symphony.pod.v1.PodService",
        definition: PodServiceService,
        implementation: unaryService<PodServiceServer>(logger, {
          getSessionInfo: async (req: unknown, ctx: CallContext) => {
            await record("getSessionInfo")(req, ctx);
            return { user: { id: 7, emailAddress: "a@b.io", firstName: "", lastName: "", displayName: "A", title: "", company: "", username: "a", location: "", accountType: "SYSTEM", roles: [], department: "", division: "", jobFunction: "" } };
          },
        } as never),
      },
      {
        name: "symphony.agent.v1.AgentService",
        definition: AgentServiceService,
        implementation: unaryService<AgentServiceServer>(logger, {
          listMessages: async (req: unknown, ctx: CallContext) => {
            await record("listMessages")(req, ctx);
            return { messages: [] };
          },
        } as never),
      },
    ],
  });
  const address = `127.0.0.1:${upstream.port}`;
  upstreams = new Upstreams({ "symphony.pod.v1": address, "symphony.agent.v1": address });
  gateway = await buildGateway({ routes: loadRoutes(), upstreams, logger });
});

afterAll(async () => {
  await gateway.close();
  upstreams.close();
  await upstream.drain(500);
});

describe("gateway translation", () => {
  it("never forwards a keyManagerToken on a /pod call, and forwards both tokens to the agent", async () => {
    const headers = { sessionToken: "session-abc", keyManagerToken: "km-xyz", "x-trace-id": "trace-1" };
    const info = await gateway.inject({ method: "GET", url: "/pod/v2/sessioninfo", headers });
    expect(info.statusCode).toBe(200);
    expect(info.json()).toMatchObject({ id: 7, username: "a" });
    const pod = seen.find((s) => s.method === "getSessionInfo")!;
    expect(pod.metadata.get(SESSION_TOKEN)).toEqual(["session-abc"]);
    expect(pod.metadata.get(KEY_MANAGER_TOKEN)).toEqual([]);
    expect(pod.metadata.get("x-trace-id")).toEqual(["trace-1"]);

    const list = await gateway.inject({ method: "GET", url: "/agent/v4/stream/7X1cP_3wMD4mr6rcp7j26X___oh4uDkVdA/message?since=0", headers });
    expect(list.statusCode).toBe(204);
    const agent = seen.find((s) => s.method === "listMessages")!;
    expect(agent.metadata.get(KEY_MANAGER_TOKEN)).toEqual(["km-xyz"]);
  });

  it("drops a trace id that could inject into logs", async () => {
    seen.length = 0;
    await gateway.inject({ method: "GET", url: "/pod/v2/sessioninfo", headers: { sessionToken: "s", "x-trace-id": "a b\tc" } });
    expect(seen[0]!.metadata.get("x-trace-id")).toEqual([]);
  });

  it("maps an unimplemented or unreachable upstream to a Symphony error body, never a crash", async () => {
    const res = await gateway.inject({ method: "POST", url: "/pod/v3/room/create", headers: { sessionToken: "s" }, payload: { name: "x" } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ code: 500, message: "Internal server error" });
  });
});
