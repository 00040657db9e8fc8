import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // An IM or MIM is unique per set of members: its sorted member ids.
  await db.schema.alterTable("streams").addColumn("im_key", "text", (c) => c.unique()).execute();
  await db.schema.alterTable("users").addColumn("current_key_expires_at", "bigint").execute();
  await sql`create index users_display_name_idx on users (lower(display_name))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index users_display_name_idx`.execute(db);
  await db.schema.alterTable("users").dropColumn("current_key_expires_at").execute();
  await db.schema.alterTable("streams").dropColumn("im_key").execute();
}
