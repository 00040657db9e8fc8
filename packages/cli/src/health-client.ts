import { makeClientConstructor, type CallOptions, type ChannelCredentials, type Client, type ClientUnaryCall, type Metadata, type ServiceError } from "@grpc/grpc-js";
import { service } from "grpc-health-check";
import type { HealthCheckRequest } from "grpc-health-check/build/src/generated/grpc/health/v1/HealthCheckRequest.js";
import type { HealthCheckResponse__Output } from "grpc-health-check/build/src/generated/grpc/health/v1/HealthCheckResponse.js";

/** grpc.health.v1.Health, as grpc-health-check defines it (the services register its server side). */
export interface HealthClient extends Client {
  Check(
    request: HealthCheckRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (err: ServiceError | null, response: HealthCheckResponse__Output) => void,
  ): ClientUnaryCall;
}

export const HealthClient = makeClientConstructor(service, "grpc.health.v1.Health") as unknown as new (
  address: string,
  credentials: ChannelCredentials,
  options?: object,
) => HealthClient;
