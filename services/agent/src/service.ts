import { invalidArgument, metadataOf, normalizeSymphonyId, requireStreamId, SESSION_TOKEN, status, unary, type UnaryHandlers } from "@symphony/kit";
import type { AgentServiceServer } from "@symphony/proto/agent/v1/agent_service";
import type { StoredMessage } from "@symphony/proto/pod/v1/messages";
import type { PodServiceClient } from "@symphony/proto/pod/v1/pod_service";
import type { ContentKeyCache } from "./content-keys.js";
import { datafeedHandlers, type DatafeedDeps } from "./datafeed-service.js";
import { readMessage } from "./decrypt.js";
import { formHandlers } from "./form-service.js";
import { convertMessageML, MessageMLError } from "./messageml.js";
import { checkMessageSize } from "./message-size.js";
import { actingBot, type ActingBot } from "./principal.js";
import { sendEncrypted } from "./send.js";
import { shareHandlers } from "./share-service.js";
import { toV4Message } from "./v4-message.js";

export interface AgentDeps extends DatafeedDeps {
  pod: PodServiceClient;
  keys: ContentKeyCache;
}

export function agentService(deps: AgentDeps): UnaryHandlers<AgentServiceServer> {
  const { pod, keys } = deps;
  const podMetadata = (c: ActingBot) => metadataOf({ [SESSION_TOKEN]: c.sessionToken });

  const decrypt = (c: ActingBot, m: StoredMessage) => readMessage(keys, c, m);

  return {
    ...datafeedHandlers(deps),
    ...shareHandlers(deps),
    ...formHandlers(deps),

    async createMessage(req, ctx) {
      const caller = actingBot(ctx);
      const streamId = requireStreamId(req.streamId);
      checkMessageSize(req.message, req.data || undefined);
      let converted;
      try {
        converted = await convertMessageML(req.message, req.data || undefined, async (ids) =>
          [...(await deps.profiles.get(ids, caller.sessionToken)).values()].map((u) => ({ userId: u.id, displayName: u.displayName })),
        );
      } catch (err) {
        if (err instanceof MessageMLError) throw invalidArgument(err.message);
        throw err;
      }
      const content = { presentationMl: converted.presentationML, entityJson: converted.entityJson };
      const stored = await sendEncrypted(deps, caller, streamId, content);
      return { message: toV4Message(stored, content) };
    },

    async listMessages(req, ctx) {
      const caller = actingBot(ctx);
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
      const caller = actingBot(ctx);
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
