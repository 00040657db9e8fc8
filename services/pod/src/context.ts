import {
  invalidArgument,
  streamNotAccessible,
  unauthenticated,
  type CallContext,
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
  /** The calling user's account, for handlers that act with its rights (its roles were checked by the call policy). */
  const callerRow = async (ctx: CallContext): Promise<UserRow> => {
    const user = await deps.store.userById(ctx.caller.bot.userId);
    if (!user || user.status !== "ENABLED") throw unauthenticated();
    return user;
  };
  return { ...deps, now, callerRow };
}

export type PodContext = ReturnType<typeof podContext>;
