import { status, type ServiceError } from "@grpc/grpc-js";
import { HTTP_STATUS as HTTP_STATUS_TRAILER } from "@symphony/kit";

export interface HttpError {
  statusCode: number;
  message: string;
}

const HTTP_STATUS: Partial<Record<status, number>> = {
  [status.INVALID_ARGUMENT]: 400,
  [status.FAILED_PRECONDITION]: 400,
  [status.OUT_OF_RANGE]: 400,
  [status.ALREADY_EXISTS]: 409,
  [status.UNAUTHENTICATED]: 401,
  [status.PERMISSION_DENIED]: 403,
  [status.NOT_FOUND]: 404,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.UNAVAILABLE]: 503,
  [status.DEADLINE_EXCEEDED]: 503,
  // Content destroyed on purpose (crypto-shred): a permanent client-side answer, which the
  // official clients do not retry.
  [status.DATA_LOSS]: 400,
};

const GRPC_SIZE_REFUSAL = /^(Received|Sent) message larger than max/;

/** Maps a gRPC failure to Symphony's status and message; internal details never leave the mesh. */
export function fromGrpc(err: ServiceError): HttpError {
  // grpc-js's own size refusals are RESOURCE_EXHAUSTED too, but they are the mesh's fault, not the
  // bot's, and their text names internal limits.
  if (GRPC_SIZE_REFUSAL.test(err.details ?? "")) return { statusCode: 500, message: "Internal server error" };
  let statusCode = HTTP_STATUS[err.code] ?? 500;
  // A service may name a more precise 4xx (410 Gone, 413) for a client error.
  const named = Number(err.metadata?.get(HTTP_STATUS_TRAILER)[0]);
  if (statusCode < 500 && Number.isInteger(named) && named >= 400 && named < 500) statusCode = named;
  if (statusCode >= 500) {
    return { statusCode, message: statusCode === 503 ? "Service temporarily unavailable, retry later" : "Internal server error" };
  }
  return { statusCode, message: err.details || "Request failed" };
}

/** Symphony's error body: `{code, message}` (pod/login Error, agent V2Error). */
export const errorBody = (e: HttpError) => ({ code: e.statusCode, message: e.message });
