import { sql, type Kysely } from "kysely";

// A row the relay cannot publish is retried a bounded number of times, spaced out, then moved
// to the dead letters with the reason, so the rows after it keep flowing; an operator replays it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("outbox")
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "bigint")
    .execute();
  await db.schema
    .createTable("outbox_dead_letters")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("event_id", "text", (c) => c.notNull().unique())
    .addColumn("stream_id", "text")
    .addColumn("payload", "bytea", (c) => c.notNull())
    .addColumn("recipients", sql`bigint[]`, (c) => c.notNull())
    .addColumn("trace_context", "jsonb")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("dead_at", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("outbox_dead_letters").execute();
  await db.schema.alterTable("outbox").dropColumn("next_attempt_at").dropColumn("attempts").execute();
}
