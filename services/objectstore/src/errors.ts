import { GrpcError, HTTP_STATUS, status } from "@symphony/kit";

// Allegro's answers where gRPC alone cannot say them; the gateway reads the HTTP_STATUS trailer.
function withHttpStatus(code: status, message: string, httpStatus: number): GrpcError {
  const err = new GrpcError(code, message);
  err.metadata.set(HTTP_STATUS, String(httpStatus));
  return err;
}

export const DISABLED_MESSAGE = "This feature is disabled for your pod.";
export const featureDisabled = () => new GrpcError(status.PERMISSION_DENIED, DISABLED_MESSAGE);

/** Allegro's text for a failed conditional write: a taken sort key or a stale prevHash. */
export const conflict = () =>
  new GrpcError(status.ALREADY_EXISTS, "An object with given partition and sort key already exists, or the object to be updated has changed.");

/** The current version of the object is a logical-delete tombstone (Allegro's DeletedException). */
export const gone = () => withHttpStatus(status.NOT_FOUND, "The object has been deleted", 410);

export const tooLarge = (what: string, limit: number) => withHttpStatus(status.INVALID_ARGUMENT, `${what} is larger than ${limit} bytes`, 413);

export const noPermission = (what: string) => new GrpcError(status.PERMISSION_DENIED, `The caller has no ${what}`);
