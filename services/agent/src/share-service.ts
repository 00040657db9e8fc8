import { newSymphonyId, requireStreamId, type UnaryHandlers } from "@symphony/kit";
import type { AgentServiceServer } from "@symphony/proto/agent/v1/agent_service";
import type { AgentDeps } from "./service.js";
import { actingBot } from "./principal.js";
import { sendEncrypted } from "./send.js";
import { sharedPostContent, validArticle } from "./shared-article.js";

type ShareHandlers = Pick<UnaryHandlers<AgentServiceServer>, "shareContent">;

export function shareHandlers(deps: AgentDeps): ShareHandlers {
  return {
    async shareContent(req, ctx) {
      const caller = actingBot(ctx);
      const streamId = requireStreamId(req.streamId);
      const content = sharedPostContent(validArticle(req.type, req.content), newSymphonyId());
      const stored = await sendEncrypted(deps, caller, streamId, content, true);
      return {
        message: {
          id: stored.messageId,
          timestamp: String(stored.timestamp),
          v2messageType: "V2Message",
          streamId: stored.streamId,
          message: content.presentationMl,
          fromUserId: stored.sender?.id ?? caller.principal.userId,
        },
      };
    },
  };
}
