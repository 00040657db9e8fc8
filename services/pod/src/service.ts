import { normalizeSymphonyId, type UnaryHandlers } from "@symphony/kit";
import type { PodInternalServiceServer } from "@symphony/proto/pod/v1/pod_internal_service";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import { authHandlers } from "./auth-service.js";
import { connectionHandlers } from "./connection-service.js";
import { podContext, type PodDeps } from "./context.js";
import { messageHandlers } from "./message-service.js";
import { roomHandlers } from "./room-service.js";
import { systemEventHandlers } from "./system-event-service.js";
import { userHandlers } from "./user-service.js";
import { activeKeys } from "./users.js";

export type { PodDeps } from "./context.js";

export function podService(deps: PodDeps): UnaryHandlers<PodServiceServer> {
  const c = podContext(deps);
  return { ...authHandlers(c), ...userHandlers(c), ...roomHandlers(c), ...messageHandlers(c), ...connectionHandlers(c), ...systemEventHandlers(c) };
}

export function podInternalService(deps: Pick<PodDeps, "store" | "sessions"> & { now?: () => number }): UnaryHandlers<PodInternalServiceServer> {
  const now = deps.now ?? Date.now;
  return {
    async getUserCredentials(req) {
      const user = req.username ? await deps.store.userByUsername(req.username) : undefined;
      if (!user) return { userId: 0, active: false, publicKeys: [], accountType: "" };
      return { userId: user.id, active: user.status === "ENABLED", publicKeys: activeKeys(user, now()), accountType: user.account_type };
    },
    async checkMembership(req) {
      const streamId = normalizeSymphonyId(req.streamId);
      if (!streamId) return { member: false, owner: false };
      const [stream, membership] = await Promise.all([deps.store.streamById(streamId), deps.store.membership(streamId, req.userId)]);
      const member = Boolean(stream?.active && membership);
      return { member, owner: member && membership!.owner };
    },
    async getUserRoles(req) {
      const user = Number.isSafeInteger(req.userId) && req.userId > 0 ? await deps.store.userById(req.userId) : undefined;
      return { active: user?.status === "ENABLED", roles: user?.roles ?? [] };
    },
    async getSessionTokenKeys() {
      return { jwks: JSON.stringify(deps.sessions.jwks) };
    },
  };
}
