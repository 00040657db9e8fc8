import { sql, type Kysely } from "kysely";

// The W3C trace context of the request that wrote the version, so its announcement to the feeds
// joins that request's trace; and an index to prune published rows.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("outbox").addColumn("trace_context", "jsonb").execute();
  await sql`create index outbox_published_idx on outbox (published_at) where published_at is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index outbox_published_idx`.execute(db);
  await db.schema.alterTable("outbox").dropColumn("trace_context").execute();
}
