import {
  AUTH_FAILED,
  claimedUsername,
  KEY_MANAGER_TOKEN,
  normalizeSymphonyId,
  notFound,
  invalidArgument,
  unary,
  unauthenticated,
  verifyRsaLoginJwt,
  type TokenIssuer,
  type TokenVerifier,
  type UnaryHandlers,
} from "@symphony/kit";
import type { KeyManagerServiceServer } from "@symphony/proto/keymanager/v1/keymanager_service";
import type { PodInternalServiceClient } from "@symphony/proto/pod/v1/pod_internal_service";
import type { KeyCustody } from "./custody.js";
import type { KeyStore } from "./store.js";

export interface KeyManagerDeps {
  pod: PodInternalServiceClient;
  custody: KeyCustody;
  store: KeyStore;
  tokens: TokenIssuer;
  verifier: TokenVerifier;
}

// A non-member learns nothing more than for a stream that does not exist.
const NOT_A_MEMBER = "Stream not found";

export function keyManagerService(deps: KeyManagerDeps): UnaryHandlers<KeyManagerServiceServer> {
  const { pod } = deps;
  return {
    async authenticate(req) {
      const username = claimedUsername(req.token);
      const creds = await unary(pod, pod.getUserCredentials, { username });
      if (!creds.active || creds.userId === 0) throw unauthenticated(AUTH_FAILED);
      await verifyRsaLoginJwt(req.token, creds.publicKeys);
      return { name: "keyManagerToken", token: await deps.tokens.issue(creds.userId, username) };
    },

    async getContentKey(req, ctx) {
      const principal = await deps.verifier.verify(ctx.metadata.get(KEY_MANAGER_TOKEN)[0]?.toString());
      const streamId = normalizeSymphonyId(req.streamId);
      if (!streamId) throw invalidArgument("Invalid stream id");
      const audit = { at: Date.now(), user_id: principal.userId, stream_id: streamId, rotation_id: req.rotationId ?? null };
      const { member } = await unary(pod, pod.checkMembership, { streamId, userId: principal.userId });
      if (!member) {
        await deps.store.audit({ ...audit, outcome: "DENIED_NOT_MEMBER" });
        throw notFound(NOT_A_MEMBER);
      }
      const released = await deps.custody.contentKey(streamId, req.rotationId);
      if (!released) {
        await deps.store.audit({ ...audit, outcome: "NOT_FOUND" });
        throw notFound("No such key rotation");
      }
      // Fail closed: a release that cannot be audited does not happen.
      await deps.store.audit({ ...audit, rotation_id: released.rotationId, outcome: "RELEASED" });
      return { rotationId: released.rotationId, key: released.key };
    },

    async getKeyManagerTokenKeys() {
      return { jwks: JSON.stringify(deps.tokens.jwks) };
    },
  };
}
