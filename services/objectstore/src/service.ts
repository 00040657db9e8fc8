import { invalidArgument, permissionDenied, SESSION_TOKEN, type CallContext, type UnaryHandlers } from "@symphony/kit";
import type { ObjectStoreAdminServiceServer, ObjectStoreServiceServer } from "@symphony/proto/objectstore/v1/objectstore_service";
import { Access } from "./access.js";
import type { Entitlements } from "./entitlements.js";
import { featureDisabled } from "./errors.js";
import { feedHandlers } from "./feed-handlers.js";
import type { FeedQueues } from "./feeds.js";
import { objectHandlers } from "./object-handlers.js";
import { partitionHandlers } from "./partition-handlers.js";
import type { Pods } from "./pods.js";
import type { ObjectStore } from "./store.js";

export interface ObjectStoreDeps {
  store: ObjectStore;
  pods: Pods;
  entitlements: Entitlements;
  feeds: FeedQueues;
  /** A transaction committed versions the feeds must hear of. */
  published: () => void;
}

/** Who calls, for which pod; every call of a pod without the entitlement stops here. */
export type Gate = (ctx: CallContext) => Promise<Access>;

export function objectStoreService(deps: ObjectStoreDeps): UnaryHandlers<ObjectStoreServiceServer> {
  const authenticate = (ctx: CallContext) => deps.pods.authenticate(ctx.metadata.get(SESSION_TOKEN)[0]?.toString());
  const gate: Gate = async (ctx) => {
    const caller = await authenticate(ctx);
    if (!deps.entitlements.enabled(caller.podId)) throw featureDisabled();
    return new Access(caller, deps.store, deps.pods);
  };
  return {
    async getEntitlement(_req, ctx) {
      const caller = await authenticate(ctx);
      return { enabled: deps.entitlements.enabled(caller.podId) };
    },
    ...objectHandlers(deps, gate),
    ...partitionHandlers(deps, gate),
    ...feedHandlers(deps, gate),
  };
}

const requirePodId = (podId: number) => {
  if (!Number.isSafeInteger(podId) || podId <= 0) throw invalidArgument("podId must be a positive integer");
  return podId;
};

// The pod's operators: the bootstrap admin service account holds USER_PROVISIONING.
const OPERATOR_ROLES = ["SUPER_ADMINISTRATOR", "USER_PROVISIONING"];

/**
 * Operator calls (gRPC only, no REST route): an operator of a pod decides whether that pod uses
 * the object store, and nobody else's.
 */
export function objectStoreAdminService(deps: Pick<ObjectStoreDeps, "entitlements" | "pods">): UnaryHandlers<ObjectStoreAdminServiceServer> {
  const operatorOf = async (ctx: CallContext, podId: number) => {
    const caller = await deps.pods.authenticate(ctx.metadata.get(SESSION_TOKEN)[0]?.toString());
    requirePodId(podId);
    if (caller.podId !== podId || !(await deps.pods.roles(caller)).some((r) => OPERATOR_ROLES.includes(r))) throw permissionDenied();
    return podId;
  };
  return {
    async setEntitlement(req, ctx) {
      await deps.entitlements.set(await operatorOf(ctx, req.podId), req.enabled);
      return {};
    },
    async getPodEntitlement(req, ctx) {
      return { enabled: deps.entitlements.enabled(await operatorOf(ctx, req.podId)) };
    },
  };
}
