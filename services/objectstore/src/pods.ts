import { isServiceError, status, unary, unauthenticated, type Principal, type TokenVerifier } from "@symphony/kit";
import type { PodInternalServiceClient } from "@symphony/proto/pod/v1/pod_internal_service";
import { decodeProtectedHeader } from "jose";

/** A pod the object store serves: its session keys name its users, its membership answers guard threads. */
export interface PodLink {
  podId: number;
  sessions: TokenVerifier;
  internal: PodInternalServiceClient;
}

/** A bot of one of the pods this object store serves. */
export interface TenantPrincipal extends Principal {
  /** The tenant: the pod whose key signed the caller's session token. */
  podId: number;
}

function keyIdOf(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).kid;
  } catch {
    return undefined;
  }
}

/** The pods this object store serves; a session token belongs to the one whose key verifies it. */
export class Pods {
  private readonly byId: Map<number, PodLink>;
  // Learnt from verified tokens only, so a forged key id never steers the lookup.
  private readonly podOfKey = new Map<string, number>();

  constructor(private readonly links: PodLink[]) {
    this.byId = new Map(links.map((l) => [l.podId, l]));
  }

  async authenticate(token: string | undefined): Promise<TenantPrincipal> {
    if (!token) throw unauthenticated();
    const kid = keyIdOf(token);
    const known = kid === undefined ? undefined : this.byId.get(this.podOfKey.get(kid) ?? -1);
    const candidates = known ? [known, ...this.links.filter((l) => l !== known)] : this.links;
    for (const link of candidates) {
      try {
        const principal = await link.sessions.verify(token);
        if (kid !== undefined) this.podOfKey.set(kid, link.podId);
        return { ...principal, podId: link.podId };
      } catch (err) {
        if (!isServiceError(err) || err.code !== status.UNAUTHENTICATED) throw err;
      }
    }
    throw unauthenticated();
  }

  /** The caller's roles in its own pod; a disabled user has none. */
  async roles(caller: TenantPrincipal): Promise<string[]> {
    const link = this.byId.get(caller.podId);
    if (!link) return [];
    const { active, roles } = await unary(link.internal, link.internal.getUserRoles, { userId: caller.userId });
    return active ? roles : [];
  }

  async isMember(caller: TenantPrincipal, streamId: string): Promise<boolean> {
    const link = this.byId.get(caller.podId);
    if (!link) return false;
    const { member } = await unary(link.internal, link.internal.checkMembership, { streamId, userId: caller.userId });
    return member;
  }
}
