import { Client, credentials, Metadata, status } from "@grpc/grpc-js";
import { ObjectStoreServiceClient, ObjectStoreServiceService, type ObjectStoreServiceServer } from "@symphony/proto/objectstore/v1/objectstore_service";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GrpcError, invalidArgument } from "./errors.js";
import { createClient, unary } from "./grpc-client.js";
import { startGrpcServer, type RunningServer } from "./grpc-server.js";
import { unaryService } from "./handlers.js";
import { createLogger } from "./logger.js";

const logger = createLogger("test", "silent");
let server: RunningServer;
let mode: "ok" | "invalid" | "crash" = "ok";

beforeAll(async () => {
  vi.stubEnv("SHUTDOWN_DELAY_MS", "0");
  server = await startGrpcServer({
    port: 0,
    host: "127.0.0.1",
    logger,
    services: [
      {
        name: "symphony.objectstore.v1.ObjectStoreService",
        definition: ObjectStoreServiceService,
        // Only the RPC this test calls; grpc-js answers UNIMPLEMENTED for the others.
        implementation: unaryService<Pick<ObjectStoreServiceServer, "getEntitlement">>(logger, {
          async getEntitlement() {
            if (mode === "invalid") throw invalidArgument("bad input");
            if (mode === "crash") throw new Error("secret internals");
            return { enabled: true };
          },
        }),
      },
    ],
  });
  vi.unstubAllEnvs();
});

afterAll(() => server.drain(1_000));

function raw(path: string, body: Buffer): Promise<Buffer> {
  const client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, new Metadata(), (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res!);
    }),
  );
}

describe("gRPC server bootstrap", () => {
  it("serves the service and maps thrown errors to statuses without leaking internals", async () => {
    const client = createClient(ObjectStoreServiceClient, `127.0.0.1:${server.port}`);
    mode = "ok";
    await expect(unary(client, client.getEntitlement, {})).resolves.toEqual({ enabled: true });
    mode = "invalid";
    await expect(unary(client, client.getEntitlement, {})).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: "bad input" });
    mode = "crash";
    const err = await unary(client, client.getEntitlement, {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.INTERNAL, details: "Internal server error" });
    expect(err).not.toBeInstanceOf(GrpcError);
    client.close();
  });

  it("answers grpc.health.v1 for the server and each service", async () => {
    expect(await raw("/grpc.health.v1.Health/Check", Buffer.alloc(0))).toEqual(Buffer.from([8, 1]));
    const named = Buffer.concat([Buffer.from([10, 43]), Buffer.from("symphony.objectstore.v1.ObjectStoreService")]);
    expect(await raw("/grpc.health.v1.Health/Check", named)).toEqual(Buffer.from([8, 1]));
  });

  it("lists services through server reflection", async () => {
    const client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
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
    const other = await startGrpcServer({ port: 0, host: "127.0.0.1", logger, services: [] });
    vi.unstubAllEnvs();
    const check = () => {
      const client = new Client(`127.0.0.1:${other.port}`, credentials.createInsecure());
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
