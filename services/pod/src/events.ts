import { randomBytes } from "node:crypto";
import { traceContextJson, type Bus, type Logger } from "@symphony/kit";
import { SUBJECTS } from "@symphony/proto/contracts";
import { Event, KeyInvalidation } from "@symphony/proto/events/v1/events";
import { ensureEventsStream, type EventsTopology, type OutboxRelay } from "./outbox-relay.js";
import type { OutboxInsert } from "./schema.js";

// Short opaque ids like Symphony's event ids; unique enough to serve as Nats-Msg-Id.
const newEventId = () => randomBytes(12).toString("base64url");

type EventDetails = Omit<Event, "id" | "type" | "timestamp" | "streamId" | "streamType" | "initiatorUserId">;

/** An outbox row announcing one event, to be inserted in the transaction that caused it. */
function outboxRow(event: Omit<Event, "id">): OutboxInsert {
  const full: Event = { ...event, id: newEventId() };
  return {
    event_id: full.id,
    stream_id: full.streamId || null,
    payload: Buffer.from(Event.encode(full).finish()),
    created_at: full.timestamp,
    trace_context: traceContextJson(),
  };
}

/** The outbox row of something a user did in a stream. */
export function streamEvent(type: string, stream: { id: string; type: string }, initiatorUserId: number, timestamp: number, details: EventDetails = {}): OutboxInsert {
  return outboxRow({ type, timestamp, streamId: stream.id, streamType: stream.type, initiatorUserId, ...details });
}

/** The outbox row of something a user did to another user, outside any stream (connections). */
export function userEvent(type: string, initiatorUserId: number, timestamp: number, details: EventDetails): OutboxInsert {
  return outboxRow({ type, timestamp, streamId: "", streamType: "", initiatorUserId, ...details });
}

/** Publishes that a user lost access to a stream, so agents drop its cached keys at once. */
export function keyInvalidations(bus: Bus, subjectPrefix: string): (streamId: string, userId: number) => void {
  return (streamId, userId) => bus.nc.publish(SUBJECTS.keysChanged(subjectPrefix, streamId), KeyInvalidation.encode({ streamId, userId }).finish());
}

/**
 * Republishes the recent events now and after every reconnect to NATS: after a NATS or pod crash,
 * what NATS acknowledged may not have been written.
 */
export async function replayAfterOutages(bus: Bus, relay: OutboxRelay, topology: EventsTopology, logger: Logger): Promise<void> {
  const replay = () =>
    ensureEventsStream(bus, topology)
      .then(() => relay.replayRecent())
      .then(
        (replayed) => logger.info({ replayed }, "recent events republished"),
        (err: unknown) => logger.warn({ err }, "could not republish recent events"),
      );
  await replay();
  void (async () => {
    for await (const s of bus.nc.status()) if (s.type === "reconnect") await replay();
  })();
}
