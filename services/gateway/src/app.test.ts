import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CallGuard,
  createLogger,
  KEY_MANAGER_AUDIENCE,
  SESSION_AUDIENCE,
  startGrpcServer,
  TokenIssuer,
  TokenVerifier,
  type CallContext,
  type RunningServer,
} from "@symphony/kit";
import { meshPki } from "@symphony/kit/pki";
import { AgentServiceService, type AgentServiceServer } from "@symphony/proto/agent/v1/agent_service";
import { PodServiceService, type PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGateway } from "./app.js";
import { loadRoutes } from "./routes.js";
import { Upstreams } from "./upstream.js";

// The gateway against real gRPC servers standing in for the pod and the agent, to see exactly
// what crosses the hop: which tokens travel, and how statuses come back. The stand-ins present
// the pod's and agent's mesh identities and admit calls with the real CallGuard.
const logger = createLogger("test", "silent");
const pki = meshPki(mkdtempSync(join(tmpdir(), "gateway-test-")));
const pem = () => generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
interface Seen {
  method: string;
  sessionToken?: string;
  keyManagerToken?: string;
  clientTraceId?: string;
}
const seen: Seen[] = [];
let sessionToken: string;
let kmToken: string;
let pod: RunningServer;
let agent: RunningServer;
let gateway: FastifyInstance;
let upstreams: Upstreams;

beforeAll(async () => {
  const sessions = await TokenIssuer.fromPem(pem(), SESSION_AUDIENCE, 600);
  const kmTokens = await TokenIssuer.fromPem(pem(), KEY_MANAGER_AUDIENCE, 600);
  sessionToken = await sessions.issue(7, "a");
  kmToken = await kmTokens.issue(7, "a");
  const sessionVerifier = new TokenVerifier(SESSION_AUDIENCE, async () => sessions.jwks);
  const kmVerifier = new TokenVerifier(KEY_MANAGER_AUDIENCE, async () => kmTokens.jwks);
  const guard = new CallGuard({
    logger,
    trustDomain: pki.trustDomain,
    authenticators: { session: (t) => sessionVerifier.verify(t), keyManager: (t) => kmVerifier.verify(t) },
  });
  const record = (method: string, ctx: CallContext) => {
    const { caller } = ctx;
    seen.push({ method, sessionToken: caller.sessionToken, keyManagerToken: caller.keyManagerToken, clientTraceId: caller.clientTraceId });
  };
  pod = await startGrpcServer({
    port: 0,
    host: "127.0.0.1",
    tls: pki.identity("pod"),
    logger,
    services: [
      {
        name: "symphony.pod.v1.PodService",
        definition: PodServiceService,
        implementation: guard.serve<Pick<PodServiceServer, "getSessionInfo">>(PodServiceService, {
          getSessionInfo: async (_req, ctx) => {
            record("getSessionInfo", ctx);
            return { user: { id: 7, emailAddress: "a@b.io", firstName: "", lastName: "", displayName: "A", title: "", company: "", username: "a", location: "", accountType: "SYSTEM", roles: [], department: "", division: "", jobFunction: "" } };
          },
        }),
      },
    ],
  });
  agent = await startGrpcServer({
    port: 0,
    host: "127.0.0.1",
    tls: pki.identity("agent"),
    logger,
    services: [
      {
        name: "symphony.agent.v1.AgentService",
        definition: AgentServiceService,
        implementation: guard.serve<Pick<AgentServiceServer, "listMessages">>(AgentServiceService, {
          listMessages: async (_req, ctx) => {
            record("listMessages", ctx);
            return { messages: [] };
          },
        }),
      },
    ],
  });
  upstreams = new Upstreams({ "symphony.pod.v1": `127.0.0.1:${pod.port}`, "symphony.agent.v1": `127.0.0.1:${agent.port}` }, pki.identity("gateway"));
  gateway = await buildGateway({ routes: loadRoutes(), upstreams, logger });
});

afterAll(async () => {
  await gateway.close();
  upstreams.close();
  await Promise.all([pod.drain(500), agent.drain(500)]);
});

describe("gateway translation", () => {
  it("never forwards a keyManagerToken on a /pod call, and forwards both tokens to the agent", async () => {
    const headers = { sessionToken, keyManagerToken: kmToken, "x-trace-id": "trace-1" };
    const info = await gateway.inject({ method: "GET", url: "/pod/v2/sessioninfo", headers });
    expect(info.statusCode).toBe(200);
    expect(info.json()).toMatchObject({ id: 7, username: "a" });
    const pod = seen.find((s) => s.method === "getSessionInfo")!;
    expect(pod.sessionToken).toBe(sessionToken);
    expect(pod.keyManagerToken).toBeUndefined();
    expect(pod.clientTraceId).toBe("trace-1");

    const list = await gateway.inject({ method: "GET", url: "/agent/v4/stream/7X1cP_3wMD4mr6rcp7j26X___oh4uDkVdA/message?since=0", headers });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual([]);
    const agent = seen.find((s) => s.method === "listMessages")!;
    expect(agent.keyManagerToken).toBe(kmToken);
  });

  it("drops a trace id that could inject into logs", async () => {
    seen.length = 0;
    await gateway.inject({ method: "GET", url: "/pod/v2/sessioninfo", headers: { sessionToken, "x-trace-id": "a b\tc" } });
    expect(seen[0]!.clientTraceId).toBeUndefined();
  });

  it("never forwards a client certificate name a bot sends as a header", async () => {
    seen.length = 0;
    const res = await gateway.inject({ method: "GET", url: "/pod/v2/sessioninfo", headers: { sessionToken, "x-client-cert-cn": "admin" } });
    expect(res.statusCode).toBe(200);
    expect(seen).toHaveLength(1);
    const forwarded = await gateway.inject({ method: "POST", url: "/sessionauth/v1/authenticate", headers: { "x-client-cert-cn": "admin" } });
    // Over plain HTTP there is no verified certificate, and the header is not one.
    expect(forwarded.statusCode).not.toBe(200);
  });

  it("maps an unimplemented or unreachable upstream to a Symphony error body, never a crash", async () => {
    const res = await gateway.inject({ method: "POST", url: "/pod/v3/room/create", headers: { sessionToken }, payload: { name: "x" } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ code: 500, message: "Internal server error" });
  });
});
