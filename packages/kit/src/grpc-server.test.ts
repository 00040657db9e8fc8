import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, credentials, Metadata, status, type ChannelCredentials } from "@grpc/grpc-js";
import { METADATA } from "@symphony/proto/contracts";
import { ObjectStoreServiceClient, ObjectStoreServiceService, type ObjectStoreServiceServer } from "@symphony/proto/objectstore/v1/objectstore_service";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GrpcError, invalidArgument, unauthenticated } from "./errors.js";
import { channelOptions, createClient, metadataOf, unary } from "./grpc-client.js";
import { startGrpcServer, type RunningServer } from "./grpc-server.js";
import { CallGuard } from "./handlers.js";
import { createLogger } from "./logger.js";
import { channelCredentials, type MeshTls } from "./mesh-tls.js";
import { meshPki, type MeshPki } from "./pki.js";

const logger = createLogger("test", "silent");
const dir = mkdtempSync(join(tmpdir(), "kit-grpc-"));
let pki: MeshPki;
let server: RunningServer;
let address: string;
let mode: "ok" | "invalid" | "crash" = "ok";
let handlerRuns = 0;

beforeAll(async () => {
  pki = meshPki(join(dir, "mesh"));
  vi.stubEnv("SHUTDOWN_DELAY_MS", "0");
  const guard = new CallGuard({
    logger,
    trustDomain: pki.trustDomain,
    authenticators: {
      session: async (token) => {
        if (token !== "good-session") throw unauthenticated();
        return { userId: 7, username: "bot", jti: "j", exp: 0, issuedAtMs: 0 };
      },
    },
  });
  server = await startGrpcServer({
    port: 0,
    host: "127.0.0.1",
    tls: pki.identity("objectstore"),
    logger,
    services: [
      {
        name: "symphony.objectstore.v1.ObjectStoreService",
        definition: ObjectStoreServiceService,
        // Only the RPC this test calls; grpc-js answers UNIMPLEMENTED for the others.
        implementation: guard.serve<Pick<ObjectStoreServiceServer, "getEntitlement">>(ObjectStoreServiceService, {
          async getEntitlement(_req, { caller }) {
            handlerRuns++;
            if (mode === "invalid") throw invalidArgument("bad input");
            if (mode === "crash") throw new Error("secret internals");
            return { enabled: caller.bot.userId === 7 && caller.peer === "gateway" };
          },
        }),
      },
    ],
  });
  vi.unstubAllEnvs();
  address = `127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.drain(1_000);
  rmSync(dir, { recursive: true, force: true });
});

const session = metadataOf({ [METADATA.sessionToken]: "good-session" });

function entitlementAs(creds: ChannelCredentials, md = session) {
  const client = new ObjectStoreServiceClient(address, creds, channelOptions("objectstore"));
  return unary(client, client.getEntitlement, {}, md, 5_000).finally(() => client.close());
}

function raw(path: string, body: Buffer, tls: MeshTls = pki.identity("operator")): Promise<Buffer> {
  const client = new Client(address, channelCredentials(tls, "objectstore"), channelOptions("objectstore"));
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, new Metadata(), (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res!);
    }),
  );
}

// The RPC under test, GetEntitlement, is declared callable from the gateway with a session token.
describe("gRPC server over mutual TLS with CallGuard", () => {
  it("admits the identity the policy names with a valid session, and the handler gets the caller", async () => {
    mode = "ok";
    await expect(entitlementAs(channelCredentials(pki.identity("gateway"), "objectstore"))).resolves.toEqual({ enabled: true });
  });

  it("fails the TLS handshake for a client without a certificate, or with one from another CA", async () => {
    const ca = readFileSync(pki.caFile);
    const noCert = credentials.createSsl(ca, null, null, { checkServerIdentity: () => undefined });
    await expect(entitlementAs(noCert)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    const foreign = meshPki(join(dir, "foreign")).identity("gateway");
    const foreignCert = credentials.createSsl(ca, readFileSync(foreign.keyFile), readFileSync(foreign.certFile), { checkServerIdentity: () => undefined });
    await expect(entitlementAs(foreignCert)).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it("refuses before the handler runs: another service's identity, a name that is no service, a missing or bad token", async () => {
    const before = handlerRuns;
    await expect(entitlementAs(channelCredentials(pki.identity("agent"), "objectstore"))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(entitlementAs(channelCredentials(pki.identity("intruder"), "objectstore"))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const gateway = channelCredentials(pki.identity("gateway"), "objectstore");
    await expect(entitlementAs(gateway, new Metadata())).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(entitlementAs(gateway, metadataOf({ [METADATA.sessionToken]: "forged" }))).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    expect(handlerRuns).toBe(before);
  });

  it("checks the server's identity: a client expecting another service refuses to talk", async () => {
    const client = createClient(ObjectStoreServiceClient, address, "pod", pki.identity("gateway"));
    await expect(unary(client, client.getEntitlement, {}, session, 5_000)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    client.close();
  });

  it("maps thrown errors to statuses without leaking internals", async () => {
    const gateway = channelCredentials(pki.identity("gateway"), "objectstore");
    mode = "invalid";
    await expect(entitlementAs(gateway)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: "bad input" });
    mode = "crash";
    const err = await entitlementAs(gateway).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.INTERNAL, details: "Internal server error" });
    expect(err).not.toBeInstanceOf(GrpcError);
    mode = "ok";
  });

  it("refuses to serve a handler for a method that is not an RPC of the definition", () => {
    const guard = new CallGuard({ logger, trustDomain: pki.trustDomain, authenticators: {} });
    expect(() => guard.serve(ObjectStoreServiceService, { getEntitlement: async () => ({ enabled: true }) } as never)).toThrow(/session authenticator/);
    expect(() => guard.serve(ObjectStoreServiceService, { noSuchRpc: async () => ({}) } as never)).toThrow(/declared policy/);
  });

  it("answers grpc.health.v1 for the server and each service, to any mesh certificate", async () => {
    expect(await raw("/grpc.health.v1.Health/Check", Buffer.alloc(0))).toEqual(Buffer.from([8, 1]));
    const named = Buffer.concat([Buffer.from([10, 43]), Buffer.from("symphony.objectstore.v1.ObjectStoreService")]);
    expect(await raw("/grpc.health.v1.Health/Check", named)).toEqual(Buffer.from([8, 1]));
  });

  it("lists services through server reflection", async () => {
    const client = new Client(address, channelCredentials(pki.identity("operator"), "objectstore"), channelOptions("objectstore"));
    const call = client.makeBidiStreamRequest("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", (b: Buffer) => b, (b: Buffer) => b);
    // ServerReflectionRequest{list_services: "*"} = field 7, string "*".
    const answer = new Promise<Buffer>((resolve, reject) => {
      call.on("data", resolve);
      call.on("error", reject);
    });
    call.write(Buffer.from([0x3a, 1, 0x2a]));
    const res = await answer;
    call.end();
    client.close();
    expect(res.toString("latin1")).toContain("symphony.objectstore.v1.ObjectStoreService");
  });

  it("fails its health check first, keeps answering for the shutdown delay, then stops", async () => {
    vi.stubEnv("SHUTDOWN_DELAY_MS", "400");
    const other = await startGrpcServer({ port: 0, host: "127.0.0.1", tls: pki.identity("pod"), logger, services: [] });
    vi.unstubAllEnvs();
    const check = () => {
      const client = new Client(`127.0.0.1:${other.port}`, channelCredentials(pki.identity("operator"), "pod"), channelOptions("pod"));
      return new Promise<{ err: unknown; res?: Buffer }>((resolve) =>
        client.makeUnaryRequest("/grpc.health.v1.Health/Check", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata(), { deadline: Date.now() + 1_000 }, (err, res) => {
          client.close();
          resolve({ err, res });
        }),
      );
    };
    expect((await check()).res).toEqual(Buffer.from([8, 1]));
    const draining = other.drain(500);
    // NOT_SERVING (08 02): load balancers stop sending while calls are still answered.
    expect((await check()).res).toEqual(Buffer.from([8, 2]));
    await draining;
    expect((await check()).err).toMatchObject({ code: status.UNAVAILABLE });
  });
});
