import {
  permissionDenied,
  requireStreamId,
  streamNotAccessible,
  unauthenticated,
  type CallContext,
  type Principal,
  type RevocationList,
  type TokenIssuer,
  type TokenVerifier,
} from "@symphony/kit";
import type { MemberRow, OutboxInsert, StreamRow, UserRow } from "./schema.js";
import type { PodStores, Stores } from "./stores.js";
import type { UserStore } from "./user-store.js";

export interface PodDeps {
  stores: PodStores;
  sessions: TokenIssuer;
  verifier: TokenVerifier;
  revocations: RevocationList;
  /** Wakes the outbox relay after a commit, so events leave without waiting for the next poll. */
  published: () => void;
  /** Tells agents that a user lost access to a stream, so they drop cached keys at once. */
  accessRevoked: (streamId: string, userId: number) => void;
  now?: () => number;
}

/** A non-member learns nothing more than for a stream that does not exist. */
export function streamNotFound(): never {
  throw streamNotAccessible();
}

/** The roles the call policies check: the user's current ones, none once it is disabled. */
export function currentRoles(users: UserStore): (p: Principal) => Promise<readonly string[]> {
  return async (p) => {
    const user = await users.byId(p.userId);
    return user?.status === "ENABLED" ? user.roles : [];
  };
}

interface StreamAccess {
  p: Principal;
  stream: StreamRow;
  membership: MemberRow;
}

export function podContext(deps: PodDeps) {
  const now = deps.now ?? Date.now;
  const { stores } = deps;

  /** The calling user's account, for handlers that act with its rights (its roles were checked by the call policy). */
  const callerRow = async (ctx: CallContext): Promise<UserRow> => {
    const user = await stores.users.byId(ctx.caller.bot.userId);
    if (!user || user.status !== "ENABLED") throw unauthenticated();
    return user;
  };

  /** The stream and the caller's membership of it. */
  const memberOfStream = async (ctx: CallContext, rawId: string): Promise<StreamAccess> => {
    const p = ctx.caller.bot;
    const streamId = requireStreamId(rawId);
    const [stream, membership] = await Promise.all([stores.streams.byId(streamId), stores.memberships.of(streamId, p.userId)]);
    if (!stream || !membership) streamNotFound();
    return { p, stream, membership };
  };

  /** The room and the caller's membership of it; any other stream is as hidden as a missing one. */
  const memberOfRoom = async (ctx: CallContext, rawId: string): Promise<StreamAccess> => {
    const access = await memberOfStream(ctx, rawId);
    if (access.stream.type !== "ROOM") streamNotFound();
    return access;
  };

  const ownerOfRoom = async (ctx: CallContext, rawId: string): Promise<StreamAccess> => {
    const access = await memberOfRoom(ctx, rawId);
    if (!access.membership.owner) throw permissionDenied("Only room owners can do this");
    return access;
  };

  /**
   * Commits a change to a stream together with its events for the stream's members (and `alsoTo`);
   * a change that reports it did nothing (a falsy result) announces nothing. Wakes the relay after a change.
   */
  const changeStream = async <T>(streamId: string, change: (tx: Stores) => Promise<T>, events: OutboxInsert[], alsoTo?: number[]): Promise<T> => {
    const result = await stores.inTransaction(async (tx) => {
      const changed = await change(tx);
      if (changed) await tx.outbox.toMembers(streamId, events, alsoTo);
      return changed;
    });
    if (result) deps.published();
    return result;
  };

  return { ...deps, now, callerRow, memberOfStream, memberOfRoom, ownerOfRoom, changeStream };
}

export type PodContext = ReturnType<typeof podContext>;
