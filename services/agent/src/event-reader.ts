import { isServiceError, meter, metadataOf, SESSION_TOKEN, status, unary, type Logger } from "@symphony/kit";
import type { Event } from "@symphony/proto/events/v1/events";
import type { PodServiceClient } from "@symphony/proto/pod/v1/pod_service";
import type { UserV2 } from "@symphony/proto/pod/v1/users";
import type { ContentKeyCache } from "./content-keys.js";
import { readEventContent } from "./decrypt.js";
import type { ActingBot } from "./principal.js";
import type { EventContent } from "./v4-events.js";

const skipped = meter.createCounter("symphony.datafeed.skipped_events", {
  description: "Datafeed events acknowledged without delivery because their reader cannot read them",
});

// Answers that stay the same however often the read is retried: the key refused to a removed
// member, keys destroyed, the message suppressed or no longer visible. Anything else (a peer
// unreachable, a deadline) fails the read, which the bot retries without losing the event.
const FOR_GOOD = new Set<number>([status.PERMISSION_DENIED, status.NOT_FOUND, status.FAILED_PRECONDITION, status.INVALID_ARGUMENT, status.DATA_LOSS]);

export interface EventReaderDeps {
  keys: ContentKeyCache;
  pod: PodServiceClient;
  logger: Logger;
}

export interface ReadOutcome {
  /** Undefined when the event is skipped. */
  content?: EventContent;
  skipped: boolean;
}

/**
 * The content of one event for its reader. A message event published by reference (no ciphertext,
 * see the pod's fitToBus) is completed from the pod with the reader's session. An event the reader
 * can never read is skipped with a metric and a log line that names it but carries no content,
 * so it is acknowledged with the rest of the batch and the events after it arrive.
 */
export async function readForFeed(deps: EventReaderDeps, c: ActingBot, feedId: string, e: Event, initiator: UserV2 | undefined): Promise<ReadOutcome> {
  try {
    return { content: await readEventContent(deps.keys, c, await withCiphertext(deps.pod, c, e), initiator), skipped: false };
  } catch (err) {
    if (!isServiceError(err) || !FOR_GOOD.has(err.code)) throw err;
    skipEvent(deps.logger, feedId, c, e, status[err.code] ?? String(err.code));
    return { skipped: true };
  }
}

/** Counts and logs an event not delivered to this reader (ids and the cause only). */
export function skipEvent(logger: Logger, feedId: string, c: ActingBot, e: Pick<Event, "id" | "type" | "streamId">, cause: string): void {
  skipped.add(1, { cause });
  logger.warn({ feedId, userId: c.principal.userId, eventId: e.id, eventType: e.type, streamId: e.streamId, cause }, "datafeed event skipped: its reader cannot read it");
}

async function withCiphertext(pod: PodServiceClient, c: ActingBot, e: Event): Promise<Event> {
  const sent = e.messageSent ?? e.sharedPost;
  if (!sent || sent.ciphertext.length > 0) return e;
  const { message } = await unary(pod, pod.getMessage, { messageId: sent.messageId }, metadataOf({ [SESSION_TOKEN]: c.sessionToken }));
  if (!message) return e;
  const full = { ...sent, ciphertext: message.ciphertext };
  return e.messageSent ? { ...e, messageSent: full } : { ...e, sharedPost: full };
}
