import { ATTR, DecryptionError, inSpan, SPAN } from "@symphony/kit";
import type { V4Message } from "@symphony/proto/agent/v1/model";
import type { StoredMessage } from "@symphony/proto/pod/v1/messages";
import type { ContentKeyCache } from "./content-keys.js";
import { decryptMessage, envelopeRotation } from "./envelope.js";
import type { Caller } from "./principal.js";
import { toV4Message } from "./v4-message.js";

/** The reader's view of a stored message; one unreadable message never hides the others. */
export async function readMessage(keys: ContentKeyCache, c: Caller, m: StoredMessage): Promise<V4Message> {
  const rotationId = envelopeRotation(m.ciphertext);
  if (rotationId === undefined) return toV4Message(m, { diagnostic: "Unknown message envelope" });
  try {
    const key = await keys.rotation(c.principal.userId, m.streamId, rotationId, c);
    const content = await inSpan(SPAN.decrypt, { [ATTR.streamId]: m.streamId, [ATTR.messageId]: m.messageId, [ATTR.rotationId]: rotationId }, () =>
      decryptMessage(key, m.streamId, m.messageId, m.ciphertext),
    );
    return toV4Message(m, content);
  } catch (err) {
    if (err instanceof DecryptionError) return toV4Message(m, { diagnostic: "Message could not be decrypted" });
    throw err;
  }
}
