import type { UnaryHandlers } from "@symphony/kit";
import type { ObjectStoreServiceServer } from "@symphony/proto/objectstore/v1/objectstore_service";
import type { ObjectStoreDeps } from "./context.js";
import type { TenantPrincipal } from "./pods.js";

type Handlers = Pick<UnaryHandlers<ObjectStoreServiceServer, TenantPrincipal>, "getEntitlement">;

export function entitlementHandlers(deps: Pick<ObjectStoreDeps, "entitlements">): Handlers {
  return {
    async getEntitlement(_req, ctx) {
      return { enabled: deps.entitlements.enabled(ctx.caller.bot.podId) };
    },
  };
}
