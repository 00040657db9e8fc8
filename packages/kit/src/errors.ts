import { Metadata, status, type ServiceError } from "@grpc/grpc-js";

export { status };

/** A failure with a gRPC status, raised by handlers and stores; its message is safe to show callers. */
export class GrpcError extends Error implements Partial<ServiceError> {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
  get details(): string {
    return this.message;
  }
  readonly metadata = new Metadata();
}

export const invalidArgument = (message: string) => new GrpcError(status.INVALID_ARGUMENT, message);
export const unauthenticated = (message = "Invalid session") => new GrpcError(status.UNAUTHENTICATED, message);
export const permissionDenied = (message = "The user lacks the required entitlement to perform this operation") =>
  new GrpcError(status.PERMISSION_DENIED, message);
export const notFound = (message: string) => new GrpcError(status.NOT_FOUND, message);
export const unavailable = (message: string) => new GrpcError(status.UNAVAILABLE, message);

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number";
}

/**
 * A stream the caller may not use. A missing stream and one the caller is not a member of get
 * this same answer (403, as the public API lists), so existence is never revealed.
 */
export const streamNotAccessible = () => new GrpcError(status.PERMISSION_DENIED, "The stream does not exist or the user is not a member of it");
