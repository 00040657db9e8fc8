import { ATTR, DecryptionError, inSpan, SPAN } from "@symphony/kit";
import type { V4Message } from "@symphony/proto/agent/v1/model";
import type { Event } from "@symphony/proto/events/v1/events";
import type { StoredMessage } from "@symphony/proto/pod/v1/messages";
import type { UserV2 } from "@symphony/proto/pod/v1/users";
import type { ContentKeyCache } from "./content-keys.js";
import { decryptFormAction, decryptMessage, envelopeRotation, type EnvelopeKey } from "./envelope.js";
import type { ActingBot } from "./principal.js";
import { safeContent } from "./safe-content.js";
import { storedMessageOf, type EventContent } from "./v4-events.js";
import { toV4Message } from "./v4-message.js";

/** Opens an envelope of the stream with the reader's key, or says why it could not. */
async function openAsReader<T>(
  keys: ContentKeyCache,
  c: ActingBot,
  target: { streamId: string; id: string; envelope: Uint8Array; noun: string },
  decrypt: (key: EnvelopeKey) => T,
): Promise<T | { diagnostic: string }> {
  const rotationId = envelopeRotation(target.envelope);
  if (rotationId === undefined) return { diagnostic: `Unknown ${target.noun.toLowerCase()} envelope` };
  try {
    const key = await keys.rotation(c.principal.userId, target.streamId, rotationId, c);
    return await inSpan(SPAN.decrypt, { [ATTR.streamId]: target.streamId, [ATTR.messageId]: target.id, [ATTR.rotationId]: rotationId }, () => decrypt(key));
  } catch (err) {
    if (err instanceof DecryptionError) return { diagnostic: `${target.noun} could not be decrypted` };
    throw err;
  }
}

/**
 * The reader's view of a stored message; one unreadable message never hides the others. Every
 * read of message content (get, list, datafeed events, shared posts) comes through here, so
 * this is where decrypted markup is checked before it leaves the agent.
 */
export async function readMessage(keys: ContentKeyCache, c: ActingBot, m: StoredMessage): Promise<V4Message> {
  const content = await openAsReader(keys, c, { streamId: m.streamId, id: m.messageId, envelope: m.ciphertext, noun: "Message" }, (key) =>
    safeContent(decryptMessage(key, m.streamId, m.messageId, m.ciphertext), { streamId: m.streamId, messageId: m.messageId, traceId: c.traceId }),
  );
  return toV4Message(m, content);
}

/** The decrypted content an event carries for its reader: a message, a shared post or a form answer. */
export async function readEventContent(keys: ContentKeyCache, c: ActingBot, e: Event, initiator: UserV2 | undefined): Promise<EventContent> {
  const stored = storedMessageOf(e, initiator);
  if (stored) return { message: await readMessage(keys, c, stored) };
  const action = e.elementsAction;
  if (!action) return {};
  const form = await openAsReader(keys, c, { streamId: e.streamId, id: action.actionId, envelope: action.ciphertext, noun: "Form answer" }, (key) =>
    decryptFormAction(key, e.streamId, action.actionId, action.ciphertext),
  );
  return { form };
}
