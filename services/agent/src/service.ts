import {
  ATTR,
  inSpan,
  invalidArgument,
  metadataOf,
  newSymphonyId,
  normalizeSymphonyId,
  requireStreamId,
  SESSION_TOKEN,
  SPAN,
  status,
  unary,
  type TokenVerifier,
  type UnaryHandlers,
} from "@symphony/kit";
import type { AgentServiceServer } from "@symphony/proto/agent/v1/agent_service";
import type { StoredMessage } from "@symphony/proto/pod/v1/messages";
import type { PodServiceClient } from "@symphony/proto/pod/v1/pod_service";
import type { ContentKeyCache } from "./content-keys.js";
import { datafeedHandlers, type DatafeedDeps } from "./datafeed-service.js";
import { readMessage } from "./decrypt.js";
import { encryptMessage } from "./envelope.js";
import { convertMessageML, MessageMLError } from "./messageml.js";
import { authenticateCaller, type Caller } from "./principal.js";
import { toV4Message } from "./v4-message.js";

export interface AgentDeps extends DatafeedDeps {
  pod: PodServiceClient;
  keys: ContentKeyCache;
  sessions: TokenVerifier;
  keyManagerTokens: TokenVerifier;
}

export function agentService(deps: AgentDeps): UnaryHandlers<AgentServiceServer> {
  const { pod, keys } = deps;
  const podMetadata = (c: Caller) => metadataOf({ [SESSION_TOKEN]: c.sessionToken });

  const decrypt = (c: Caller, m: StoredMessage) => readMessage(keys, c, m);

  return {
    ...datafeedHandlers(deps),

    async createMessage(req, ctx) {
      const caller = await authenticateCaller(ctx, deps.sessions, deps.keyManagerTokens);
      const streamId = requireStreamId(req.streamId);
      let converted;
      try {
        converted = await convertMessageML(req.message, req.data || undefined, async (ids) => {
          const { users } = await unary(pod, pod.getUsers, { userIds: ids }, podMetadata(caller));
          return users.map((u) => ({ userId: u.id, displayName: u.displayName }));
        });
      } catch (err) {
        if (err instanceof MessageMLError) throw invalidArgument(err.message);
        throw err;
      }
      const key = await keys.current(caller.principal.userId, streamId, caller);
      const messageId = newSymphonyId();
      const content = { presentationMl: converted.presentationML, entityJson: converted.entityJson };
      const ciphertext = await inSpan(SPAN.encrypt, { [ATTR.streamId]: streamId, [ATTR.messageId]: messageId, [ATTR.rotationId]: key.rotationId }, () =>
        encryptMessage(key, streamId, messageId, content),
      );
      const { message: stored } = await unary(pod, pod.storeMessage, { streamId, messageId, ciphertext }, podMetadata(caller));
      if (!stored) throw new Error("pod returned no stored message");
      return { message: toV4Message(stored, content) };
    },

    async listMessages(req, ctx) {
      const caller = await authenticateCaller(ctx, deps.sessions, deps.keyManagerTokens);
      if (!Number.isSafeInteger(req.since) || req.since < 0) throw invalidArgument("since is required: a timestamp in milliseconds");
      if (req.limit < 0 || req.limit > 500) throw invalidArgument("limit must be between 0 and 500");
      if (req.skip < 0) throw invalidArgument("skip must not be negative");
      const { messages } = await unary(
        pod,
        pod.listMessages,
        { streamId: requireStreamId(req.streamId), since: req.since, until: req.until, skip: req.skip, limit: req.limit },
        podMetadata(caller),
      );
      return { messages: await Promise.all(messages.map((m) => decrypt(caller, m))) };
    },

    async getMessage(req, ctx) {
      const caller = await authenticateCaller(ctx, deps.sessions, deps.keyManagerTokens);
      const messageId = normalizeSymphonyId(req.messageId);
      if (!messageId) throw invalidArgument("Invalid message id");
      try {
        const { message } = await unary(pod, pod.getMessage, { messageId }, podMetadata(caller));
        return { message: message && (await decrypt(caller, message)) };
      } catch (err) {
        // A missing message and one the caller may not see get the same empty answer.
        if ((err as { code?: number }).code === status.NOT_FOUND) return {};
        throw err;
      }
    },
  };
}
