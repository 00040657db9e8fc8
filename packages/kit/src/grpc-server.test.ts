import { Client, credentials, Metadata, status } from "@grpc/grpc-js";
import { ObjectStoreServiceClient, ObjectStoreServiceService, type ObjectStoreServiceServer } from "@symphony/proto/objectstore/v1/objectstore_service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrpcError, invalidArgument } from "./errors.js";
import { createClient, unary } from "./grpc-client.js";
import { startGrpcServer, type RunningServer } from "./grpc-server.js";
import { unaryService } from "./handlers.js";
import { createLogger } from "./logger.js";

const logger = createLogger("test", "silent");
let server: RunningServer;
let mode: "ok" | "invalid" | "crash" = "ok";

beforeAll(async () => {
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

  it("stops serving after drain", async () => {
    const other = await startGrpcServer({ port: 0, host: "127.0.0.1", logger, services: [] });
    await other.drain(500);
    const client = new Client(`127.0.0.1:${other.port}`, credentials.createInsecure());
    const err = await new Promise((resolve) =>
      client.makeUnaryRequest("/grpc.health.v1.Health/Check", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata(), { deadline: Date.now() + 1_000 }, resolve),
    );
    client.close();
    expect(err).toMatchObject({ code: status.UNAVAILABLE });
  });
});
