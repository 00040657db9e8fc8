import { sql, type Kysely } from "kysely";

// Fan-out on write: who receives an event is decided in the transaction that writes it, so a
// member added later never receives what happened before they joined.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("outbox").addColumn("recipients", sql`bigint[]`, (c) => c.notNull().defaultTo(sql`'{}'`)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("outbox").dropColumn("recipients").execute();
}
