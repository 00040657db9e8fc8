import { sql, type Kysely } from "kysely";

// Every row carries the pod it belongs to and every key starts with it: one pod never reaches
// another's rows. Hashes are the 34 raw bytes; documents are the canonical JSON the hash covers.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("partitions")
    .addColumn("pod_id", "bigint", (c) => c.notNull())
    .addColumn("partition_hash", "bytea", (c) => c.notNull())
    .addColumn("owner_id", "bigint", (c) => c.notNull())
    .addColumn("id_object", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("partitions_pk", ["pod_id", "partition_hash"])
    .execute();

  await db.schema
    .createTable("partition_grants")
    .addColumn("pod_id", "bigint", (c) => c.notNull())
    .addColumn("partition_hash", "bytea", (c) => c.notNull())
    .addColumn("user_id", "bigint", (c) => c.notNull())
    .addColumn("can_read", "boolean", (c) => c.notNull())
    .addColumn("can_write", "boolean", (c) => c.notNull())
    .addPrimaryKeyConstraint("partition_grants_pk", ["pod_id", "partition_hash", "user_id"])
    .addForeignKeyConstraint("partition_grants_partition_fk", ["pod_id", "partition_hash"], "partitions", ["pod_id", "partition_hash"], (c) => c.onDelete("cascade"))
    .execute();

  // Every version ever written (stored objects and tombstones), immutable.
  await db.schema
    .createTable("objects")
    .addColumn("pod_id", "bigint", (c) => c.notNull())
    .addColumn("absolute_hash", "bytea", (c) => c.notNull())
    .addColumn("base_hash", "bytea", (c) => c.notNull())
    .addColumn("partition_hash", "bytea", (c) => c.notNull())
    .addColumn("sort_key", "text", (c) => c.notNull())
    .addColumn("thread_id", "text")
    .addColumn("document", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("purge_at", "bigint")
    .addColumn("version_seq", "bigserial", (c) => c.notNull())
    .addPrimaryKeyConstraint("objects_pk", ["pod_id", "absolute_hash"])
    .execute();
  await sql`create index objects_versions_idx on objects (pod_id, base_hash, version_seq)`.execute(db);
  await sql`create index objects_purge_idx on objects (purge_at) where purge_at is not null`.execute(db);

  // The latest version of each object (the optimistic lock: updated only from the expected hash).
  await db.schema
    .createTable("heads")
    .addColumn("pod_id", "bigint", (c) => c.notNull())
    .addColumn("base_hash", "bytea", (c) => c.notNull())
    .addColumn("absolute_hash", "bytea", (c) => c.notNull())
    .addColumn("partition_hash", "bytea", (c) => c.notNull())
    .addColumn("sort_key", "text", (c) => c.notNull())
    .addColumn("thread_id", "text")
    .addColumn("deleted", "boolean", (c) => c.notNull())
    .addPrimaryKeyConstraint("heads_pk", ["pod_id", "base_hash"])
    .execute();

  // The partition listing: the current version under each live sort key (unique per partition).
  await db.schema
    .createTable("current_objects")
    .addColumn("pod_id", "bigint", (c) => c.notNull())
    .addColumn("partition_hash", "bytea", (c) => c.notNull())
    // Byte order, as Allegro's store (DynamoDB) sorts keys.
    .addColumn("sort_key", sql`text collate "C"`, (c) => c.notNull())
    .addColumn("absolute_hash", "bytea", (c) => c.notNull())
    .addPrimaryKeyConstraint("current_objects_pk", ["pod_id", "partition_hash", "sort_key"])
    .execute();

  await db.schema
    .createTable("feeds")
    .addColumn("pod_id", "bigint", (c) => c.notNull())
    .addColumn("feed_hash", "bytea", (c) => c.notNull())
    .addColumn("owner_id", "bigint", (c) => c.notNull())
    .addColumn("id_object", "text", (c) => c.notNull())
    .addColumn("consumer", "text", (c) => c.notNull())
    .addColumn("expiry_ms", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("feeds_pk", ["pod_id", "feed_hash"])
    .execute();

  await db.schema
    .createTable("feed_grants")
    .addColumn("pod_id", "bigint", (c) => c.notNull())
    .addColumn("feed_hash", "bytea", (c) => c.notNull())
    .addColumn("user_id", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("feed_grants_pk", ["pod_id", "feed_hash", "user_id"])
    .addForeignKeyConstraint("feed_grants_feed_fk", ["pod_id", "feed_hash"], "feeds", ["pod_id", "feed_hash"], (c) => c.onDelete("cascade"))
    .execute();

  await db.schema
    .createTable("feed_selections")
    .addColumn("pod_id", "bigint", (c) => c.notNull())
    .addColumn("feed_hash", "bytea", (c) => c.notNull())
    .addColumn("partition_hash", "bytea", (c) => c.notNull())
    .addColumn("sort_key_prefix", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("feed_selections_pk", ["pod_id", "feed_hash", "partition_hash", "sort_key_prefix"])
    .addForeignKeyConstraint("feed_selections_feed_fk", ["pod_id", "feed_hash"], "feeds", ["pod_id", "feed_hash"], (c) => c.onDelete("cascade"))
    .execute();
  await sql`create index feed_selections_partition_idx on feed_selections (pod_id, partition_hash)`.execute(db);

  // Versions committed but not yet announced to the feeds (see outbox-relay.ts).
  await db.schema
    .createTable("outbox")
    .addColumn("seq", "bigserial", (c) => c.primaryKey())
    .addColumn("pod_id", "bigint", (c) => c.notNull())
    .addColumn("partition_hash", "bytea", (c) => c.notNull())
    .addColumn("sort_key", "text", (c) => c.notNull())
    .addColumn("absolute_hash", "bytea", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("published_at", "bigint")
    .execute();
  await sql`create index outbox_unpublished_idx on outbox (seq) where published_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["outbox", "feed_selections", "feed_grants", "feeds", "current_objects", "heads", "objects", "partition_grants", "partitions"]) {
    await db.schema.dropTable(table).execute();
  }
}
