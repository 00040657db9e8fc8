import { ATTR, inSpan, metadataOf, newSymphonyId, SESSION_TOKEN, SPAN, unary } from "@symphony/kit";
import type { MessageContent } from "@symphony/proto/agent/v1/model";
import type { StoredMessage } from "@symphony/proto/pod/v1/messages";
import type { PodServiceClient } from "@symphony/proto/pod/v1/pod_service";
import type { ContentKeyCache } from "./content-keys.js";
import { encryptMessage } from "./envelope.js";
import type { ActingBot } from "./principal.js";

/** Encrypts content with the stream's current key and stores it in the pod as a new message (or shared post). */
export async function sendEncrypted(
  deps: { pod: PodServiceClient; keys: ContentKeyCache },
  caller: ActingBot,
  streamId: string,
  content: MessageContent,
  sharedPost = false,
): Promise<StoredMessage> {
  const key = await deps.keys.current(caller.principal.userId, streamId, caller);
  const messageId = newSymphonyId();
  const ciphertext = await inSpan(SPAN.encrypt, { [ATTR.streamId]: streamId, [ATTR.messageId]: messageId, [ATTR.rotationId]: key.rotationId }, () =>
    encryptMessage(key, streamId, messageId, content),
  );
  const { message } = await unary(deps.pod, deps.pod.storeMessage, { streamId, messageId, ciphertext, sharedPost }, metadataOf({ [SESSION_TOKEN]: caller.sessionToken }));
  if (!message) throw new Error("pod returned no stored message");
  return message;
}
