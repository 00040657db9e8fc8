import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // Ids look like Symphony's (13–15 digit int64), still well below 2^53.
  await sql`create sequence user_id_seq start with 349026222342145`.execute(db);
  await db.schema
    .createTable("users")
    .addColumn("id", "bigint", (c) => c.primaryKey().defaultTo(sql`nextval('user_id_seq')`))
    .addColumn("username", "text", (c) => c.notNull().unique())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("first_name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("last_name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("account_type", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().defaultTo("ENABLED"))
    .addColumn("roles", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn("attributes", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("current_key", "text")
    .addColumn("previous_key", "text")
    .addColumn("previous_key_expires_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("created_by", "bigint")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await sql`create unique index users_email_idx on users (lower(email))`.execute(db);

  await db.schema
    .createTable("streams")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("name", "text")
    .addColumn("attributes", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("active", "boolean", (c) => c.notNull().defaultTo(true))
    .addColumn("created_by", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("memberships")
    .addColumn("stream_id", "text", (c) => c.notNull().references("streams.id"))
    .addColumn("user_id", "bigint", (c) => c.notNull().references("users.id"))
    .addColumn("owner", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("joined_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("memberships_pk", ["stream_id", "user_id"])
    .execute();
  await db.schema.createIndex("memberships_user_idx").on("memberships").column("user_id").execute();

  // Ciphertext only: the agent's envelope. The pod never holds a key that opens it.
  await db.schema
    .createTable("messages")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("stream_id", "text", (c) => c.notNull().references("streams.id"))
    .addColumn("sender_id", "bigint", (c) => c.notNull().references("users.id"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("ciphertext", "bytea", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("messages_stream_time_idx").on("messages").columns(["stream_id", "created_at"]).execute();

  // Transactional outbox: written in the same transaction as the change it announces,
  // published to JetStream by the relay afterwards.
  await db.schema
    .createTable("outbox")
    .addColumn("seq", "bigserial", (c) => c.primaryKey())
    .addColumn("event_id", "text", (c) => c.notNull().unique())
    .addColumn("stream_id", "text")
    .addColumn("payload", "bytea", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("published_at", "bigint")
    .execute();
  await sql`create index outbox_unpublished_idx on outbox (seq) where published_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["outbox", "messages", "memberships", "streams", "users"]) await db.schema.dropTable(t).execute();
  await sql`drop sequence user_id_seq`.execute(db);
}
