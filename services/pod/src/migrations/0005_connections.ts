import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("connections")
    .addColumn("requester_id", "bigint", (c) => c.notNull().references("users.id"))
    .addColumn("target_id", "bigint", (c) => c.notNull().references("users.id"))
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("first_requested_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("request_counter", "integer", (c) => c.notNull().defaultTo(1))
    .addPrimaryKeyConstraint("connections_pk", ["requester_id", "target_id"])
    .execute();
  await sql`create index connections_target_idx on connections (target_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("connections").execute();
}
