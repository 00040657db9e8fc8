import {
  invalidArgument,
  permissionDenied,
  streamNotAccessible,
  SESSION_TOKEN,
  unauthenticated,
  type CallContext,
  type Principal,
  type RevocationList,
  type TokenIssuer,
  type TokenVerifier,
} from "@symphony/kit";
import type { PodStore, UserRow } from "./store.js";

export interface PodDeps {
  store: PodStore;
  sessions: TokenIssuer;
  verifier: TokenVerifier;
  revocations: RevocationList;
  /** Wakes the outbox relay after a commit, so events leave without waiting for the next poll. */
  published: () => void;
  /** Tells agents that a user lost access to a stream, so they drop cached keys at once. */
  accessRevoked: (streamId: string, userId: number) => void;
  now?: () => number;
}

/** Roles that administer users and streams through /pod/.../admin paths. */
export const ADMIN_ROLES = ["USER_PROVISIONING", "SUPER_ADMINISTRATOR", "ADMINISTRATOR"];
const MAX_PAGE = 1000;


export function userIdOf(raw: number, field = "id"): number {
  if (!Number.isSafeInteger(raw) || raw <= 0) throw invalidArgument(`${field} must be a user id`);
  return raw;
}

/** skip/limit of the public API: non-negative, limit defaulting to `fallback`, capped. */
export function page(skip: number, limit: number, fallback = 50): { skip: number; limit: number } {
  if (skip < 0 || limit < 0) throw invalidArgument("skip and limit must not be negative");
  if (limit > MAX_PAGE) throw invalidArgument(`limit must not exceed ${MAX_PAGE}`);
  return { skip, limit: limit || fallback };
}

/** A non-member learns nothing more than for a stream that does not exist. */
export function streamNotFound(): never {
  throw streamNotAccessible();
}

export function podContext(deps: PodDeps) {
  const now = deps.now ?? Date.now;
  const caller = (ctx: CallContext): Promise<Principal> => deps.verifier.verify(ctx.metadata.get(SESSION_TOKEN)[0]?.toString());
  const callerWithRole = async (ctx: CallContext, roles: string[]): Promise<UserRow> => {
    const p = await caller(ctx);
    const user = await deps.store.userById(p.userId);
    if (!user || user.status !== "ENABLED") throw unauthenticated();
    if (!user.roles.some((r) => roles.includes(r))) throw permissionDenied();
    return user;
  };
  return { ...deps, now, caller, callerWithRole };
}

export type PodContext = ReturnType<typeof podContext>;
