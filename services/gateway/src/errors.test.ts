import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { fromGrpc } from "./errors.js";

const failure = (code: status, details: string): ServiceError => Object.assign(new Error(details), { code, details, metadata: new Metadata() });

describe("gRPC failures as Symphony errors", () => {
  it("keep a service's own message for a client error", () => {
    expect(fromGrpc(failure(status.INVALID_ARGUMENT, "The message and its data exceed the limit of 1500000 bytes"))).toEqual({
      statusCode: 400,
      message: "The message and its data exceed the limit of 1500000 bytes",
    });
  });

  it("hide grpc-js's own size refusals, which name internal limits", () => {
    for (const details of ["Received message larger than max (9437184 vs 8388608)", "Sent message larger than max (9437184 vs 4194304)"]) {
      expect(fromGrpc(failure(status.RESOURCE_EXHAUSTED, details))).toEqual({ statusCode: 500, message: "Internal server error" });
    }
  });
});
