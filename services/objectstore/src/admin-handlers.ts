import { invalidArgument, permissionDenied, type UnaryHandlers } from "@symphony/kit";
import type { ObjectStoreAdminServiceServer } from "@symphony/proto/objectstore/v1/objectstore_service";
import type { ObjectStoreCall, ObjectStoreDeps } from "./context.js";
import type { TenantPrincipal } from "./pods.js";

/**
 * Operator calls (gRPC only, no REST route): an operator of a pod (roles checked by the call
 * policy) decides whether that pod uses the object store, and nobody else's.
 */
export function adminHandlers(deps: Pick<ObjectStoreDeps, "entitlements">): UnaryHandlers<ObjectStoreAdminServiceServer, TenantPrincipal> {
  const operatedPod = (ctx: ObjectStoreCall, podId: number) => {
    if (!Number.isSafeInteger(podId) || podId <= 0) throw invalidArgument("podId must be a positive integer");
    if (ctx.caller.bot.podId !== podId) throw permissionDenied();
    return podId;
  };
  return {
    async setEntitlement(req, ctx) {
      await deps.entitlements.set(operatedPod(ctx, req.podId), req.enabled);
      return {};
    },
    async getPodEntitlement(req, ctx) {
      return { enabled: deps.entitlements.enabled(operatedPod(ctx, req.podId)) };
    },
  };
}
