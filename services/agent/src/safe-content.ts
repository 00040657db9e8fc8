import { createLogger, meter } from "@symphony/kit";
import type { MessageContent } from "@symphony/proto/agent/v1/model";
import { entityObject, MarkupError } from "./markup-policy.js";
import { checkPresentationML } from "./presentationml.js";

// Decrypted content is checked again before it leaves the agent: the pod stores whatever
// envelope it is given, and a restored backup or a member writing to the pod directly may have
// stored markup the converter would never write.

/** Shown instead of content that fails the check; the markup itself is never returned. */
export const WITHHELD =
  '<div data-format="PresentationML" data-version="2.0"><i>This message could not be displayed safely: its content is not allowed by this pod.</i></div>';

const withheld = meter.createCounter("symphony.agent.messages.withheld", {
  description: "Decrypted messages and shared posts replaced by a placeholder because their markup or entity JSON is outside the allow-list, by rule and part",
});
const logger = createLogger("agent");

interface Body {
  presentationMl: string;
  entityJson: string;
}

export interface ContentOrigin {
  streamId: string;
  messageId: string;
  traceId: string;
}

function safeBody(body: Body, origin: ContentOrigin, part: "message" | "shared"): Body {
  try {
    return { presentationMl: checkPresentationML(body.presentationMl), entityJson: JSON.stringify(entityObject(body.entityJson)) };
  } catch (err) {
    if (!(err instanceof MarkupError)) throw err;
    withheld.add(1, { rule: err.rule, part });
    // The rule only: the refused markup is message content and must not reach a log line.
    logger.warn({ ...origin, part, rule: err.rule }, "decrypted message withheld: outside the PresentationML allow-list");
    return { presentationMl: WITHHELD, entityJson: "{}" };
  }
}

/** The content as the agent may return it: canonical allowed markup, or the placeholder. */
export function safeContent(content: MessageContent, origin: ContentOrigin): MessageContent {
  const { shared } = content;
  return {
    ...safeBody(content, origin, "message"),
    shared: shared && { messageId: shared.messageId, ...safeBody(shared, origin, "shared") },
  };
}
