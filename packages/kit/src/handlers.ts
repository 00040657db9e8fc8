import { Metadata, status, type handleUnaryCall, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition, type ServiceError } from "@grpc/grpc-js";
import { Credential, METHOD_POLICIES, type MethodPolicy } from "@symphony/proto/contracts";
import { Caller, type Authenticators } from "./caller.js";
import { GrpcError, isServiceError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { Principal } from "./tokens.js";

export interface CallContext<P extends Principal = Principal> {
  /** Who called, as the call policy established it before the handler ran. */
  caller: Caller<P>;
  /** Aborted when the caller cancels or its deadline passes. */
  signal: AbortSignal;
}

type AsyncHandler<Req, Res, P extends Principal> = (request: Req, ctx: CallContext<P>) => Promise<Res>;

// Generated server interfaces carry an index signature; only the named RPCs matter here.
type RpcNames<T> = keyof { [K in keyof T as string extends K ? never : K]: T[K] };

/** The async-function form of a generated grpc-js server interface. */
export type UnaryHandlers<Server, P extends Principal = Principal> = {
  [K in RpcNames<Server>]: Server[K] extends handleUnaryCall<infer Req, infer Res> ? AsyncHandler<Req, Res, P> : never;
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

function missingAuthenticator<P extends Principal>(policy: MethodPolicy, a: Authenticators<P>): string | undefined {
  const needs = {
    [Credential.CREDENTIAL_SESSION]: ["session"],
    [Credential.CREDENTIAL_KEY_MANAGER]: ["keyManager"],
    [Credential.CREDENTIAL_SESSION_AND_KEY_MANAGER]: ["session", "keyManager"],
  }[policy.credential as number] ?? [];
  if (policy.roles.length > 0) needs.push("roles");
  return needs.find((n) => !a[n as keyof Authenticators<P>]);
}

export interface GuardOptions<P extends Principal> {
  logger: Logger;
  /** Trust domain of the mesh certificates (spiffe://<trust domain>/<service>). */
  trustDomain: string;
  authenticators: Authenticators<P>;
}

/**
 * The one place where calls are authenticated and authorized: each RPC's policy (declared in
 * proto/, see symphony/api/v1/policy.proto) is checked against the caller's mesh certificate and
 * bot tokens before its handler runs; the handler gets the resulting caller and never reads
 * metadata. A refused call is answered UNAUTHENTICATED or PERMISSION_DENIED and logged.
 */
export class CallGuard<P extends Principal = Principal> {
  constructor(private readonly opts: GuardOptions<P>) {}

  /** grpc-js unary handlers for a generated service definition, each behind its RPC's policy. */
  serve<Server>(definition: ServiceDefinition, handlers: UnaryHandlers<Server, P>): Server {
    const { logger } = this.opts;
    const out: Record<string, unknown> = {};
    for (const [method, fn] of Object.entries(handlers) as [string, AsyncHandler<unknown, unknown, P>][]) {
      const path = definition[method]?.path;
      const policy = path ? METHOD_POLICIES.get(path) : undefined;
      if (!policy) throw new Error(`${method} is not an RPC with a declared policy in ${Object.values(definition)[0]?.path ?? "this service"}`);
      const missing = missingAuthenticator(policy, this.opts.authenticators);
      if (missing) throw new Error(`${policy.path} needs a ${missing} authenticator, which this service does not provide`);
      out[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const abort = new AbortController();
        call.on("cancelled", () => abort.abort());
        Caller.admit(policy, call.getAuthContext().sslPeerCertificate, call.metadata, this.opts)
          .then((caller) => fn(call.request, { caller, signal: abort.signal }))
          .then(
            (res) => callback(null, res),
            (err: unknown) => callback(toServiceError(err, logger, method)),
          );
      };
    }
    return out as Server;
  }
}
