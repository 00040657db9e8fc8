/**
 * Every failure the API answers with. `code` and `message` come from Symphony's error body
 * (`{code, message}` on the pod and login, `{code, message, details}` on the agent); `body`
 * keeps whatever the server sent.
 */
export class SymphonyError extends Error {
  override name = "SymphonyError";
  readonly code: number;
  readonly details: unknown;

  constructor(
    readonly status: number,
    readonly body: unknown,
    message?: string,
  ) {
    const parsed = errorBody(body);
    super(message ?? parsed.message ?? `HTTP ${status}`);
    this.code = parsed.code ?? status;
    this.details = parsed.details;
  }

  /** Worth trying again later, unchanged: throttling and server-side trouble. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** 400: the request is wrong; for a datafeed read it means the feed is gone. */
export class BadRequestError extends SymphonyError {
  override name = "BadRequestError";
}

/** 401: the tokens were refused even after a fresh authentication. */
export class UnauthorizedError extends SymphonyError {
  override name = "UnauthorizedError";
}

/** 401 from /login or /relay: wrong username, unknown or revoked key, inactive account. Not retried. */
export class AuthenticationError extends UnauthorizedError {
  override name = "AuthenticationError";
}

/** 403: missing entitlement, not a member, no ACL, or the feature is disabled for the pod. */
export class PermissionDeniedError extends SymphonyError {
  override name = "PermissionDeniedError";
}

export class NotFoundError extends SymphonyError {
  override name = "NotFoundError";
}

/** 410: the object was deleted (logically); a kind of "not found", as in Allegro. */
export class GoneError extends NotFoundError {
  override name = "GoneError";
}

/** 409: the sort key is taken, or the version to update is no longer the current one. */
export class ConflictError extends SymphonyError {
  override name = "ConflictError";
}

/** 413: an object or header above the store's limits. */
export class TooLargeError extends SymphonyError {
  override name = "TooLargeError";
}

export class TooManyRequestsError extends SymphonyError {
  override name = "TooManyRequestsError";
}

/** 451: refused by the pod's compliance rules. */
export class ComplianceError extends SymphonyError {
  override name = "ComplianceError";
}

export class ServerError extends SymphonyError {
  override name = "ServerError";
}

/** Client-side: ciphertext that does not open with its key, or that was moved from another object. */
export class DecryptionError extends Error {
  override name = "DecryptionError";
}

/** Client-side: the server answered something other than what its hash names. */
export class IntegrityError extends Error {
  override name = "IntegrityError";
}

const BY_STATUS: Record<number, typeof SymphonyError> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  410: GoneError,
  413: TooLargeError,
  429: TooManyRequestsError,
  451: ComplianceError,
};

/** The typed error for an HTTP answer that is not a success. */
export function errorFor(status: number, body: unknown): SymphonyError {
  const Type = BY_STATUS[status] ?? (status >= 500 ? ServerError : SymphonyError);
  return new Type(status, body);
}

function errorBody(body: unknown): { code?: number; message?: string; details?: unknown } {
  if (typeof body === "string") return { message: body.slice(0, 500) || undefined };
  if (typeof body !== "object" || body === null) return {};
  const { code, message, details } = body as Record<string, unknown>;
  return {
    code: typeof code === "number" ? code : undefined,
    message: typeof message === "string" ? message : undefined,
    details,
  };
}
