import { normalizeSymphonyId, type UnaryHandlers } from "@symphony/kit";
import type { PodInternalServiceServer } from "@symphony/proto/pod/v1/pod_internal_service";
import type { PodContext } from "./context.js";
import { activeKeys } from "./user-keys.js";

/** What the other services of the mesh ask the pod: credentials, memberships, roles, token keys. */
export function internalHandlers(c: PodContext): UnaryHandlers<PodInternalServiceServer> {
  const { users, streams, memberships } = c.stores;
  return {
    async getUserCredentials(req) {
      const user = req.username ? await users.byUsername(req.username) : undefined;
      if (!user) return { userId: 0, active: false, publicKeys: [], accountType: "" };
      return { userId: user.id, active: user.status === "ENABLED", publicKeys: activeKeys(user, c.now()), accountType: user.account_type };
    },
    async checkMembership(req) {
      const streamId = normalizeSymphonyId(req.streamId);
      if (!streamId) return { member: false, owner: false, historyFrom: 0 };
      const [stream, membership] = await Promise.all([streams.byId(streamId), memberships.of(streamId, req.userId)]);
      const member = Boolean(stream?.active && membership);
      const closedHistory = stream?.type === "ROOM" && stream.attributes.viewHistory !== true;
      return { member, owner: member && membership!.owner, historyFrom: member && closedHistory ? membership!.joined_at : 0 };
    },
    async getUserRoles(req) {
      const user = Number.isSafeInteger(req.userId) && req.userId > 0 ? await users.byId(req.userId) : undefined;
      return { active: user?.status === "ENABLED", roles: user?.roles ?? [] };
    },
    async getSessionTokenKeys() {
      return { jwks: JSON.stringify(c.sessions.jwks) };
    },
  };
}
