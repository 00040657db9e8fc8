import { DEAD_LETTER_AFTER, retryDelayMs, type FailureRecord, type RowFailure } from "@symphony/kit";
import { Event } from "@symphony/proto/events/v1/events";
import { sql, type Kysely } from "kysely";
import type { PodDatabase } from "./schema.js";

interface FailedRow {
  seq: number;
  event_id: string;
  attempts: number;
}

/** What an operator sees of a dead letter: ids, sizes and the reason, never the content. */
export interface DeadLetterSummary {
  id: number;
  eventId: string;
  streamId: string;
  eventType: string;
  payloadBytes: number;
  recipients: number;
  attempts: number;
  reason: string;
  createdAt: number;
  deadAt: number;
}

const typeOf = (payload: Buffer) => {
  try {
    return Event.decode(payload).type;
  } catch {
    return "";
  }
};

/** The pod's outbox rows the relay gave up on, and their way back. */
export class DeadLetters {
  constructor(private readonly db: Kysely<PodDatabase>) {}

  /**
   * In the relay's transaction (see Stores.inTransaction): a failed row waits before its next try, or, when it failed for
   * good or too often, leaves the outbox for the dead letters.
   */
  async recordFailures(failures: readonly RowFailure<FailedRow>[], now: number): Promise<FailureRecord[]> {
    const records: FailureRecord[] = [];
    for (const { row, reason, permanent } of failures) {
      const attempts = row.attempts + 1;
      const dead = permanent || attempts >= DEAD_LETTER_AFTER;
      if (dead) {
        await sql`
          with moved as (delete from outbox where seq = ${row.seq} returning event_id, stream_id, payload, recipients, trace_context, created_at)
          insert into outbox_dead_letters (event_id, stream_id, payload, recipients, trace_context, created_at, attempts, reason, dead_at)
          select event_id, stream_id, payload, recipients, trace_context, created_at, ${attempts}, ${reason}, ${now} from moved
          on conflict (event_id) do update set attempts = excluded.attempts, reason = excluded.reason, dead_at = excluded.dead_at`.execute(this.db);
      } else {
        await this.db.updateTable("outbox").set({ attempts, next_attempt_at: now + retryDelayMs(attempts) }).where("seq", "=", row.seq).execute();
      }
      records.push({ seq: row.seq, eventId: row.event_id, reason, deadLettered: dead, attempts });
    }
    return records;
  }

  /** Oldest first, from id `after` on. */
  async list(after: number, limit: number): Promise<DeadLetterSummary[]> {
    const rows = await this.db
      .selectFrom("outbox_dead_letters")
      .select(["id", "event_id", "stream_id", "payload", "recipients", "attempts", "reason", "created_at", "dead_at"])
      .where("id", ">", after)
      .orderBy("id")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      streamId: r.stream_id ?? "",
      eventType: typeOf(r.payload),
      payloadBytes: r.payload.length,
      recipients: r.recipients.length,
      attempts: r.attempts,
      reason: r.reason,
      createdAt: r.created_at,
      deadAt: r.dead_at,
    }));
  }

  /**
   * Puts dead letters back at the end of the outbox with fresh attempts (all of them when `ids`
   * is empty); the relay publishes them as it would a new row. Returns how many went back.
   */
  async replay(ids: readonly number[]): Promise<number> {
    const res = await sql<{ n: number }>`
      with moved as (
        delete from outbox_dead_letters where ${ids.length === 0 ? sql`true` : sql`id = any(${ids.map(String)}::bigint[])`}
        returning event_id, stream_id, payload, recipients, trace_context, created_at
      ), inserted as (
        insert into outbox (event_id, stream_id, payload, recipients, trace_context, created_at)
        select event_id, stream_id, payload, recipients, trace_context, created_at from moved
        on conflict (event_id) do nothing
        returning 1
      )
      select count(*)::int as n from inserted`.execute(this.db);
    return res.rows[0]?.n ?? 0;
  }
}
