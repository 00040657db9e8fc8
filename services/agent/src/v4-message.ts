import type { MessageContent, SharedContent, V4Message, V4User } from "@symphony/proto/agent/v1/model";
import type { StoredMessage } from "@symphony/proto/pod/v1/messages";
import type { UserV2 } from "@symphony/proto/pod/v1/users";

const AGENT_VERSION = "Agent-25.1.0";
const ORIGINAL_FORMAT = "com.symphony.messageml.v2";
const UNREADABLE = '<div data-format="PresentationML" data-version="2.0"></div>';

/** The public V4User of a pod profile; `id` stands in when the profile is unknown. */
export const toV4User = (u: UserV2 | undefined, id = 0): V4User => ({
  userId: u?.id ?? id,
  firstName: u?.firstName ?? "",
  lastName: u?.lastName ?? "",
  displayName: u?.displayName ?? "",
  email: u?.emailAddress ?? "",
  username: u?.username ?? "",
});

/** The public V4Message for a stored message and its decrypted content (or why it could not be decrypted). */
export function toV4Message(stored: StoredMessage, content: MessageContent | { diagnostic: string }): V4Message {
  const readable = "presentationMl" in content;
  return {
    ...v4Message(stored, stored.messageId, readable ? content : { presentationMl: UNREADABLE, entityJson: "{}" }),
    diagnostic: readable ? "" : content.diagnostic,
    sharedMessage: readable && content.shared ? v4Message(stored, content.shared.messageId, content.shared) : undefined,
  };
}

function v4Message(stored: StoredMessage, messageId: string, body: Pick<SharedContent, "presentationMl" | "entityJson">): V4Message {
  return {
    messageId,
    timestamp: stored.timestamp,
    message: body.presentationMl,
    data: body.entityJson,
    attachments: [],
    user: toV4User(stored.sender),
    stream: { streamId: stored.streamId, streamType: stored.streamType, roomName: "" },
    externalRecipients: false,
    userAgent: AGENT_VERSION,
    originalFormat: ORIGINAL_FORMAT,
    diagnostic: "",
  };
}
