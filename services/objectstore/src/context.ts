import type { CallContext } from "@symphony/kit";
import { Access } from "./access.js";
import type { Entitlements } from "./entitlements.js";
import { featureDisabled } from "./errors.js";
import type { FeedQueues } from "./feeds.js";
import type { Pods, TenantPrincipal } from "./pods.js";
import type { ObjectStore } from "./store.js";

export interface ObjectStoreDeps {
  store: ObjectStore;
  pods: Pods;
  entitlements: Entitlements;
  feeds: FeedQueues;
  /** A transaction committed versions the feeds must hear of. */
  published: () => void;
}

/** A call admitted by CallGuard: the bot and the pod (tenant) whose key signed its session token. */
export type ObjectStoreCall = CallContext<TenantPrincipal>;

/** The caller's rights for this call; every call of a pod without the entitlement stops here. */
export function accessOf(deps: Pick<ObjectStoreDeps, "store" | "pods" | "entitlements">, ctx: ObjectStoreCall): Access {
  const bot = ctx.caller.bot;
  if (!deps.entitlements.enabled(bot.podId)) throw featureDisabled();
  return new Access(bot, deps.store, deps.pods);
}
