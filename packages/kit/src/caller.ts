import type { PeerCertificate } from "node:tls";
import type { Metadata } from "@grpc/grpc-js";
import { Credential, METADATA, type MethodPolicy, type PeerName } from "@symphony/proto/contracts";
import { permissionDenied, unauthenticated } from "./errors.js";
import type { Logger } from "./logger.js";
import { peerOf } from "./mesh-tls.js";
import type { Principal } from "./tokens.js";

/** How a service checks bot credentials; a service provides those its policies use. */
export interface Authenticators<P extends Principal> {
  /** Verifies a pod session token. */
  session?: (token: string | undefined) => Promise<P>;
  /** Verifies a key manager token. */
  keyManager?: (token: string | undefined) => Promise<Principal>;
  /** The current roles of an enabled user, none for a disabled one. */
  roles?: (principal: P) => Promise<readonly string[]>;
}

const first = (md: Metadata, key: string) => {
  const v = md.get(key)[0]?.toString();
  return v === undefined || v === "" ? undefined : v;
};

interface Admission<P extends Principal> {
  logger: Logger;
  trustDomain: string;
  authenticators: Authenticators<P>;
}

/** The caller of one RPC: the service that made the call and, where the policy asks, the bot. */
export class Caller<P extends Principal = Principal> {
  private rolesOnce: Promise<readonly string[]> | undefined;

  private constructor(
    /** The immediate caller's mesh identity (its certificate), never a header. */
    readonly peer: PeerName,
    private readonly principal: P | undefined,
    /** The bot's tokens as received, to act on its behalf at the next hop. */
    readonly sessionToken: string | undefined,
    readonly keyManagerToken: string | undefined,
    /** A bot certificate's common name the gateway verified (certificate authentication). */
    readonly certificateName: string | undefined,
    /** The client's X-Trace-Id, forwarded by the gateway. */
    readonly clientTraceId: string | undefined,
    private readonly loadRoles: ((p: P) => Promise<readonly string[]>) | undefined,
  ) {}

  /** The bot the call's tokens name; only RPCs whose policy requires a token have one. */
  get bot(): P {
    if (!this.principal) throw unauthenticated();
    return this.principal;
  }

  /** The bot's current roles, looked up once per call. */
  roles(): Promise<readonly string[]> {
    if (!this.loadRoles) return Promise.reject(new Error("this service has no role lookup"));
    this.rolesOnce ??= this.loadRoles(this.bot);
    return this.rolesOnce;
  }

  async hasRole(roles: readonly string[]): Promise<boolean> {
    return (await this.roles()).some((r) => roles.includes(r));
  }

  /** Checks a call against its policy; throws UNAUTHENTICATED or PERMISSION_DENIED, logged, when it fails. */
  static async admit<P extends Principal>(policy: MethodPolicy, cert: PeerCertificate | undefined, md: Metadata, opts: Admission<P>): Promise<Caller<P>> {
    const refuse = (reason: string, err: Error, peer?: string): never => {
      opts.logger.warn({ method: policy.path, peer, reason }, "call refused by policy");
      throw err;
    };
    if (!cert) return refuse("no client certificate", unauthenticated("A mesh client certificate is required"));
    const peer = peerOf(cert, opts.trustDomain);
    // Signed by the mesh CA but naming no service of the mesh: who it is is known, and it may call nothing.
    if (!peer) return refuse("no mesh identity", permissionDenied("This certificate names no service of the mesh"));
    if (!policy.callers.has(peer)) return refuse("service not allowed", permissionDenied(`${peer} may not call this method`), peer);

    const { authenticators } = opts;
    const sessionToken = first(md, METADATA.sessionToken);
    const keyManagerToken = first(md, METADATA.keyManagerToken);
    let principal: P | undefined;
    let certificateName: string | undefined;
    try {
      switch (policy.credential) {
        case Credential.CREDENTIAL_SESSION:
          principal = await authenticators.session!(sessionToken);
          break;
        case Credential.CREDENTIAL_KEY_MANAGER:
          principal = (await authenticators.keyManager!(keyManagerToken)) as P;
          break;
        case Credential.CREDENTIAL_SESSION_AND_KEY_MANAGER: {
          const [session, km] = await Promise.all([authenticators.session!(sessionToken), authenticators.keyManager!(keyManagerToken)]);
          // A session of bot A with a key manager token of bot B is refused.
          if (session.userId !== km.userId) throw unauthenticated("Session and key manager tokens belong to different users");
          principal = session;
          break;
        }
        case Credential.CREDENTIAL_GATEWAY_VERIFIED_CERTIFICATE:
          // Only the gateway terminates bots' TLS; from anyone else this metadata is a forgery.
          if (peer !== "gateway") throw permissionDenied();
          certificateName = first(md, METADATA.clientCertificateName);
          break;
        case Credential.CREDENTIAL_NONE:
          break;
      }
    } catch (err) {
      return refuse("bad credential", err as Error, peer);
    }
    const caller = new Caller(peer, principal, sessionToken, keyManagerToken, certificateName, first(md, METADATA.clientTraceId), authenticators.roles);
    if (policy.roles.length > 0 && !(await caller.hasRole(policy.roles))) return refuse("role missing", permissionDenied(), peer);
    return caller;
  }
}
