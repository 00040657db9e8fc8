import { AUTH_FAILED, claimedUsername, invalidArgument, permissionDenied, unauthenticated, verifyRsaLoginJwt, type UnaryHandlers } from "@symphony/kit";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { PodContext } from "./context.js";
import { activeKeys } from "./user-keys.js";
import { toUserV2 } from "./users.js";

type AuthHandlers = Pick<UnaryHandlers<PodServiceServer>, "authenticate" | "authenticateCertificate" | "logout" | "getSessionInfo">;

export function authHandlers(c: PodContext): AuthHandlers {
  const { users } = c.stores;
  return {
    async authenticate(req) {
      const username = claimedUsername(req.token);
      const user = await users.byUsername(username);
      if (!user || user.status !== "ENABLED") throw unauthenticated(AUTH_FAILED);
      await verifyRsaLoginJwt(req.token, activeKeys(user, c.now()));
      return { name: "sessionToken", token: await c.sessions.issue(user.id, user.username) };
    },

    async authenticateCertificate(_req, ctx) {
      const cn = ctx.caller.certificateName;
      if (!cn) throw invalidArgument("A client certificate signed by the pod's certificate authority is required");
      const user = await users.byUsername(cn);
      // As Symphony: a certificate that names no active service account is a 403, not a 401.
      if (!user || user.status !== "ENABLED" || user.account_type !== "SYSTEM") throw permissionDenied("Certificate authentication is not allowed for the requested user");
      return { name: "sessionToken", token: await c.sessions.issue(user.id, user.username) };
    },

    async logout(_req, ctx) {
      const p = ctx.caller.bot;
      await c.revocations.revoke(p);
      c.verifier.revoke(p);
      return { format: "TEXT", message: "Logged out" };
    },

    async getSessionInfo(_req, ctx) {
      const p = ctx.caller.bot;
      const user = await users.byId(p.userId);
      if (!user) throw unauthenticated();
      return { user: toUserV2(user) };
    },
  };
}
