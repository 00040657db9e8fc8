import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // Content keys exist only wrapped by the master key (KEK); the KEK never reaches Postgres.
  await db.schema
    .createTable("content_keys")
    .addColumn("stream_id", "text", (c) => c.notNull())
    .addColumn("rotation_id", "integer", (c) => c.notNull())
    .addColumn("wrapped_key", "bytea", (c) => c.notNull())
    .addColumn("kek_version", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("content_keys_pk", ["stream_id", "rotation_id"])
    .execute();

  // Every release and every refusal, with who, which stream and which rotation; never key bytes.
  await db.schema
    .createTable("key_audit")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("user_id", "bigint", (c) => c.notNull())
    .addColumn("stream_id", "text", (c) => c.notNull())
    .addColumn("rotation_id", "integer")
    .addColumn("outcome", "text", (c) => c.notNull())
    .execute();
  await sql`create index key_audit_stream_idx on key_audit (stream_id, at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("key_audit").execute();
  await db.schema.dropTable("content_keys").execute();
}
