import { randomBytes } from "node:crypto";
import { traceContextJson } from "@symphony/kit";
import { Event } from "@symphony/proto/events/v1/events";
import type { Insertable } from "kysely";
import type { OutboxTable } from "./schema.js";

// Short opaque ids like Symphony's event ids; unique enough to serve as Nats-Msg-Id.
const newEventId = () => randomBytes(12).toString("base64url");

/** An outbox row announcing one event, to be inserted in the transaction that caused it. */
export function outboxRow(event: Omit<Event, "id">): Insertable<OutboxTable> {
  const full: Event = { ...event, id: newEventId() };
  return {
    event_id: full.id,
    stream_id: full.streamId || null,
    payload: Buffer.from(Event.encode(full).finish()),
    created_at: full.timestamp,
    trace_context: traceContextJson(),
  };
}
