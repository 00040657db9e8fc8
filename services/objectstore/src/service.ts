import type { UnaryHandlers } from "@symphony/kit";
import type { ObjectStoreServiceServer } from "@symphony/proto/objectstore/v1/objectstore_service";

export function objectStoreService(opts: { enabled: boolean }): UnaryHandlers<ObjectStoreServiceServer> {
  return {
    async getEntitlement() {
      return { enabled: opts.enabled };
    },
  };
}
