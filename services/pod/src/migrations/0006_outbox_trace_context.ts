import type { Kysely } from "kysely";

// The W3C trace context of the request that wrote the event, so its publication and delivery
// join that request's trace.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("outbox").addColumn("trace_context", "jsonb").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("outbox").dropColumn("trace_context").execute();
}
