import { trace } from "@opentelemetry/api";
import { publicEncrypt, constants } from "node:crypto";
import {
  AUTH_FAILED,
  claimedUsername,
  invalidArgument,
  notFound,
  requireStreamId,
  permissionDenied,
  streamNotAccessible,
  traceIdOf,
  ATTR,
  inSpan,
  SPAN,
  unary,
  unauthenticated,
  verifyRsaLoginJwt,
  type CallContext,
  type Principal,
  type RevocationList,
  type TokenIssuer,
  type TokenVerifier,
  type Logger,
  type UnaryHandlers,
} from "@symphony/kit";
import { KEY_ADMIN_ROLES, KEY_AUDIT_ROLES } from "@symphony/proto/contracts";
import type { KeyManagerServiceServer } from "@symphony/proto/keymanager/v1/keymanager_service";
import type { PodInternalServiceClient } from "@symphony/proto/pod/v1/pod_internal_service";
import { ShreddedError, type KeyCustody } from "./custody.js";
import type { AuditAction } from "./schema.js";
import type { KeyStore } from "./store.js";

export interface KeyManagerDeps {
  pod: PodInternalServiceClient;
  custody: KeyCustody;
  store: KeyStore;
  tokens: TokenIssuer;
  verifier: TokenVerifier;
  revocations: RevocationList;
  /** Tells agents that every cached key of the stream is stale (rotation, shred). */
  keysChanged: (streamId: string) => void;
  reloadMasterKeys: () => Promise<number>;
  logger: Logger;
}


export function keyManagerService(deps: KeyManagerDeps): UnaryHandlers<KeyManagerServiceServer> {
  const { pod, custody, store } = deps;


  /** Fail closed: every decision is written before its effect reaches the caller. */
  const audit = (ctx: CallContext, p: Principal, action: AuditAction, streamId: string, rotationId: number | null, decision: Parameters<KeyStore["audit"]>[0]["decision"]) => {
    trace.getActiveSpan()?.setAttributes({ [ATTR.decision]: decision, [ATTR.userId]: p.userId, ...(rotationId === null ? {} : { [ATTR.rotationId]: rotationId }) });
    // Releases are many and all in the audit table; what an operator must notice is logged too.
    if (decision !== "RELEASED") deps.logger.warn({ userId: p.userId, streamId, action, decision }, "key manager decision");
    return store.audit({ at: Date.now(), user_id: p.userId, stream_id: streamId, rotation_id: rotationId, action, decision, trace_id: traceIdOf(ctx).slice(0, 64) });
  };

  /** Releases a key to a current member of the stream, auditing the decision either way. */
  const release = (ctx: CallContext, action: AuditAction, rawStreamId: string, rotationId: number | undefined) =>
    inSpan(SPAN.keyRelease, { [ATTR.streamId]: rawStreamId }, () => decideRelease(ctx, action, rawStreamId, rotationId));

  const decideRelease = async (ctx: CallContext, action: AuditAction, rawStreamId: string, rotationId: number | undefined) => {
    const p = ctx.caller.bot;
    const streamId = requireStreamId(rawStreamId);
    const { member, historyFrom } = await unary(pod, pod.checkMembership, { streamId, userId: p.userId });
    if (!member) {
      await audit(ctx, p, action, streamId, rotationId ?? null, "DENIED_NOT_MEMBER");
      throw streamNotAccessible();
    }
    // A rotation superseded before the member joined a room without viewHistory protects only
    // what was sent before they came.
    if (rotationId !== undefined && historyFrom > 0) {
      const next = await store.key(streamId, rotationId + 1);
      if (next && next.created_at <= historyFrom) {
        await audit(ctx, p, action, streamId, rotationId, "DENIED_BEFORE_JOIN");
        throw permissionDenied("This key protects messages sent before you joined");
      }
    }
    let released;
    try {
      released = await custody.contentKey(streamId, rotationId);
    } catch (err) {
      if (err instanceof ShreddedError) await audit(ctx, p, action, streamId, rotationId ?? null, "SHREDDED");
      throw err;
    }
    if (!released) {
      await audit(ctx, p, action, streamId, rotationId ?? null, "NOT_FOUND");
      throw notFound("No such key rotation");
    }
    await audit(ctx, p, action, streamId, released.rotationId, "RELEASED");
    return { principal: p, ...released };
  };

  const requireRole = async (ctx: CallContext, p: Principal, roles: readonly string[], action: AuditAction, streamId = "") => {
    if (await ctx.caller.hasRole(roles)) return;
    await audit(ctx, p, action, streamId, null, "DENIED_NOT_AUTHORIZED");
    throw permissionDenied();
  };

  return {
    async authenticate(req) {
      const username = claimedUsername(req.token);
      const creds = await unary(pod, pod.getUserCredentials, { username });
      if (!creds.active || creds.userId === 0) throw unauthenticated(AUTH_FAILED);
      await verifyRsaLoginJwt(req.token, creds.publicKeys);
      return { name: "keyManagerToken", token: await deps.tokens.issue(creds.userId, username) };
    },

    async authenticateCertificate(_req, ctx) {
      const cn = ctx.caller.certificateName;
      if (!cn) throw invalidArgument("A client certificate signed by the pod's certificate authority is required");
      const creds = await unary(pod, pod.getUserCredentials, { username: cn });
      if (!creds.active || creds.userId === 0 || creds.accountType !== "SYSTEM") throw permissionDenied("Certificate authentication is not allowed for the requested user");
      return { name: "keyManagerToken", token: await deps.tokens.issue(creds.userId, cn) };
    },

    async logout(_req, ctx) {
      const p = ctx.caller.bot;
      await deps.revocations.revoke(p);
      deps.verifier.revoke(p);
      return { message: "Logged out" };
    },

    async getContentKey(req, ctx) {
      const { rotationId, key } = await release(ctx, "RELEASE", req.streamId, req.rotationId);
      return { rotationId, key };
    },

    async getWrappedContentKey(req, ctx) {
      const { principal, rotationId, key } = await release(ctx, "RELEASE_WRAPPED", req.streamId, req.rotationId);
      const creds = await unary(pod, pod.getUserCredentials, { username: principal.username });
      const publicKey = creds.userId === principal.userId ? creds.publicKeys[0] : undefined;
      if (!publicKey) throw invalidArgument("The caller has no registered RSA public key");
      return { rotationId, wrappedKey: publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, key) };
    },

    async rotateContentKey(req, ctx) {
      const p = ctx.caller.bot;
      const streamId = requireStreamId(req.streamId);
      const { owner } = await unary(pod, pod.checkMembership, { streamId, userId: p.userId });
      if (!owner) await requireRole(ctx, p, KEY_ADMIN_ROLES, "ROTATE", streamId);
      const rotationId = await custody.rotate(streamId, { user_id: p.userId, action: "ROTATE", trace_id: traceIdOf(ctx).slice(0, 64) });
      trace.getActiveSpan()?.setAttributes({ [ATTR.decision]: "ROTATED", [ATTR.userId]: p.userId, [ATTR.rotationId]: rotationId });
      deps.logger.warn({ userId: p.userId, streamId, action: "ROTATE", decision: "ROTATED", rotationId }, "key manager decision");
      deps.keysChanged(streamId);
      return { streamId, rotationId };
    },

    async shredStreamKeys(req, ctx) {
      const p = ctx.caller.bot;
      const streamId = requireStreamId(req.streamId);
      await requireRole(ctx, p, KEY_ADMIN_ROLES, "SHRED", streamId);
      const destroyed = await custody.shred(streamId, p.userId);
      await audit(ctx, p, "SHRED", streamId, null, "SHREDDED");
      deps.keysChanged(streamId);
      return { streamId, destroyedRotations: destroyed };
    },

    async listKeyAudit(req, ctx) {
      const p = ctx.caller.bot;
      await requireRole(ctx, p, KEY_AUDIT_ROLES, "READ_AUDIT");
      if (req.limit < 0 || req.limit > 1000) throw invalidArgument("limit must be between 0 and 1000");
      const streamId = req.streamId ? requireStreamId(req.streamId) : undefined;
      const rows = await store.auditEntries({ streamId, userId: req.userId, since: req.since, limit: req.limit || 100 });
      return {
        entries: rows.map((r) => ({
          id: r.id,
          timestamp: r.at,
          userId: r.user_id,
          streamId: r.stream_id,
          rotationId: r.rotation_id ?? undefined,
          decision: r.decision,
          action: r.action,
          traceId: r.trace_id,
        })),
      };
    },

    async reloadMasterKeys(_req, ctx) {
      const p = ctx.caller.bot;
      await requireRole(ctx, p, KEY_ADMIN_ROLES, "RELOAD_MASTER_KEYS");
      return { currentVersion: await deps.reloadMasterKeys() };
    },

    async getMasterKeyStatus(_req, ctx) {
      const p = ctx.caller.bot;
      await requireRole(ctx, p, KEY_AUDIT_ROLES, "READ_AUDIT");
      return { currentVersion: custody.currentVersion, loadedVersions: custody.loadedVersions, pendingRewrap: await custody.pendingRewrap() };
    },

    async getKeyManagerTokenKeys() {
      return { jwks: JSON.stringify(deps.tokens.jwks) };
    },
  };
}
