import type { UnaryHandlers } from "@symphony/kit";
import type { ObjectStoreAdminServiceServer, ObjectStoreServiceServer } from "@symphony/proto/objectstore/v1/objectstore_service";
import { adminHandlers } from "./admin-handlers.js";
import type { ObjectStoreDeps } from "./context.js";
import { entitlementHandlers } from "./entitlement-handlers.js";
import { feedHandlers } from "./feed-handlers.js";
import { objectHandlers } from "./object-handlers.js";
import { partitionHandlers } from "./partition-handlers.js";
import type { TenantPrincipal } from "./pods.js";

export type { ObjectStoreDeps } from "./context.js";

export function objectStoreService(deps: ObjectStoreDeps): UnaryHandlers<ObjectStoreServiceServer, TenantPrincipal> {
  return { ...entitlementHandlers(deps), ...objectHandlers(deps), ...partitionHandlers(deps), ...feedHandlers(deps) };
}

export function objectStoreAdminService(deps: Pick<ObjectStoreDeps, "entitlements">): UnaryHandlers<ObjectStoreAdminServiceServer, TenantPrincipal> {
  return adminHandlers(deps);
}
