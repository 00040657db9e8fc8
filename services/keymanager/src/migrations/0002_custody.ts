import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // A value sealed by each master key version: a wrong key for a known version is caught at
  // start, before anything is read or written with it.
  await db.schema
    .createTable("master_key_checks")
    .addColumn("version", "integer", (c) => c.primaryKey())
    .addColumn("check_value", "bytea", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("shredded_streams")
    .addColumn("stream_id", "text", (c) => c.primaryKey())
    .addColumn("shredded_at", "bigint", (c) => c.notNull())
    .addColumn("shredded_by", "bigint", (c) => c.notNull())
    .execute();

  await sql`alter table key_audit rename column outcome to decision`.execute(db);
  await sql`alter table key_audit add column action text not null default 'RELEASE'`.execute(db);
  await sql`alter table key_audit add column trace_id text not null default ''`.execute(db);
  await sql`alter table key_audit alter column action drop default`.execute(db);
  // Append-only: the audit trail cannot be edited or trimmed through this database role.
  await sql`
    create function key_audit_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'key_audit is append-only';
    end $$`.execute(db);
  await sql`
    create trigger key_audit_append_only before update or delete or truncate on key_audit
    for each statement execute function key_audit_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger key_audit_append_only on key_audit`.execute(db);
  await sql`drop function key_audit_append_only()`.execute(db);
  await sql`alter table key_audit drop column trace_id`.execute(db);
  await sql`alter table key_audit drop column action`.execute(db);
  await sql`alter table key_audit rename column decision to outcome`.execute(db);
  await db.schema.dropTable("shredded_streams").execute();
  await db.schema.dropTable("master_key_checks").execute();
}
