import { Metadata, status, type handleUnaryCall, type sendUnaryData, type ServerUnaryCall, type ServiceError } from "@grpc/grpc-js";
import { GrpcError, isServiceError } from "./errors.js";
import type { Logger } from "./logger.js";

export interface CallContext {
  metadata: Metadata;
  /** Aborted when the caller cancels or its deadline passes. */
  signal: AbortSignal;
}

type AsyncHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

// Generated server interfaces carry an index signature; only the named RPCs matter here.
type RpcNames<T> = keyof { [K in keyof T as string extends K ? never : K]: T[K] };

/** The async-function form of a generated grpc-js server interface. */
export type UnaryHandlers<Server> = {
  [K in RpcNames<Server>]: Server[K] extends handleUnaryCall<infer Req, infer Res> ? AsyncHandler<Req, Res> : never;
};

const PROPAGATED = new Set([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.FAILED_PRECONDITION,
  status.RESOURCE_EXHAUSTED,
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.DATA_LOSS,
]);

function toServiceError(err: unknown, logger: Logger, method: string): Partial<ServiceError> {
  if (err instanceof GrpcError) return { code: err.code, details: err.message, metadata: err.metadata };
  // A peer's answer (e.g. the pod refusing, or unreachable) reaches our caller unchanged.
  if (isServiceError(err) && PROPAGATED.has(err.code)) return { code: err.code, details: err.details, metadata: new Metadata() };
  // Anything unexpected is logged here and reaches the caller without internals.
  logger.error({ err, method }, "unhandled error in gRPC handler");
  return { code: status.INTERNAL, details: "Internal server error", metadata: new Metadata() };
}

/** Adapts plain async functions to grpc-js unary handlers, mapping thrown GrpcErrors to statuses. */
export function unaryService<Server>(logger: Logger, handlers: UnaryHandlers<Server>): Server {
  const out: Record<string, unknown> = {};
  for (const [method, fn] of Object.entries(handlers) as [string, AsyncHandler<unknown, unknown>][]) {
    out[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      fn(call.request, { metadata: call.metadata, signal: abort.signal }).then(
        (res) => callback(null, res),
        (err: unknown) => callback(toServiceError(err, logger, method)),
      );
    };
  }
  return out as Server;
}
