import type { Kysely } from "kysely";
import type { OutboxInsert, PodDatabase } from "./schema.js";

export type OutboxRow = Awaited<ReturnType<OutboxStore["lockUnpublished"]>>[number];

/** Events waiting for the relay, each with the recipients fixed when it was written. */
export class OutboxStore {
  constructor(private readonly db: Kysely<PodDatabase>) {}

  /**
   * Writes events for the stream's members as of this transaction, plus users the events are about
   * who may no longer be members (someone who just left must still hear of it).
   */
  async toMembers(streamId: string, events: OutboxInsert[], alsoTo: number[] = []): Promise<void> {
    const members = await this.db.selectFrom("memberships").select("user_id").where("stream_id", "=", streamId).execute();
    const recipients = [...new Set([...members.map((m) => m.user_id), ...alsoTo])];
    await this.db.insertInto("outbox").values(events.map((e) => ({ ...e, recipients }))).execute();
  }

  /** Writes an event for exactly these users. */
  async to(event: OutboxInsert, recipients: number[]): Promise<void> {
    await this.db.insertInto("outbox").values({ ...event, recipients }).execute();
  }

  async backlog(): Promise<number> {
    const row = await this.db.selectFrom("outbox").select((eb) => eb.fn.countAll<number>().as("n")).where("published_at", "is", null).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Unpublished rows due for a try, oldest first, locked for this relay until the transaction ends. */
  lockUnpublished(limit: number, now: number) {
    return this.db
      .selectFrom("outbox")
      .select(["seq", "event_id", "payload", "recipients", "trace_context", "attempts"])
      .where("published_at", "is", null)
      .where((eb) => eb.or([eb("next_attempt_at", "is", null), eb("next_attempt_at", "<=", now)]))
      .orderBy("seq")
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
  }

  async markPublished(seqs: number[], now: number): Promise<void> {
    await this.db.updateTable("outbox").set({ published_at: now }).where("seq", "in", seqs).execute();
  }

  /** Rows published at or after `since`, in commit order, from seq `after` on. */
  publishedSince(since: number, after: number, limit: number) {
    return this.db
      .selectFrom("outbox")
      .select(["seq", "event_id", "payload", "recipients", "trace_context"])
      .where("published_at", ">=", since)
      .where("seq", ">", after)
      .orderBy("seq")
      .limit(limit)
      .execute();
  }

  async prunePublished(before: number): Promise<number> {
    const res = await this.db.deleteFrom("outbox").where("published_at", "<", before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
