import { Event } from "@symphony/proto/events/v1/events";

/**
 * The payload to publish for an event: as written when the bus takes it, else a message event
 * without its ciphertext (by reference: readers fetch the stored message by id). Other events
 * are returned unchanged, and the relay dead-letters them if they are still too large.
 */
export function fitToBus(payload: Buffer, limit: number): Buffer {
  if (payload.length <= limit) return payload;
  const event = Event.decode(payload);
  const sent = event.messageSent ?? event.sharedPost;
  if (!sent || sent.ciphertext.length === 0) return payload;
  sent.ciphertext = Buffer.alloc(0);
  return Buffer.from(Event.encode(event).finish());
}
