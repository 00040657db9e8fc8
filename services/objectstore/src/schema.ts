import type { ColumnType, Generated } from "kysely";

export interface PartitionsTable {
  pod_id: number;
  partition_hash: Buffer;
  owner_id: number;
  id_object: string;
  created_at: number;
}

export interface PartitionGrantsTable {
  pod_id: number;
  partition_hash: Buffer;
  user_id: number;
  can_read: boolean;
  can_write: boolean;
}

export interface ObjectsTable {
  pod_id: number;
  absolute_hash: Buffer;
  base_hash: Buffer;
  partition_hash: Buffer;
  sort_key: string;
  thread_id: string | null;
  document: string;
  created_at: number;
  purge_at: number | null;
  version_seq: Generated<number>;
}

export interface HeadsTable {
  pod_id: number;
  base_hash: Buffer;
  absolute_hash: Buffer;
  partition_hash: Buffer;
  sort_key: string;
  thread_id: string | null;
  deleted: boolean;
}

export interface CurrentObjectsTable {
  pod_id: number;
  partition_hash: Buffer;
  sort_key: string;
  absolute_hash: Buffer;
}

export interface FeedsTable {
  pod_id: number;
  feed_hash: Buffer;
  owner_id: number;
  id_object: string;
  consumer: string;
  expiry_ms: number;
  expires_at: number;
}

export interface FeedGrantsTable {
  pod_id: number;
  feed_hash: Buffer;
  user_id: number;
}

export interface FeedSelectionsTable {
  pod_id: number;
  feed_hash: Buffer;
  partition_hash: Buffer;
  sort_key_prefix: string;
}

export interface OutboxTable {
  seq: Generated<number>;
  pod_id: number;
  partition_hash: Buffer;
  sort_key: string;
  absolute_hash: Buffer;
  created_at: number;
  published_at: number | null;
  /** traceparent/tracestate of the writing request; null when it had none. */
  trace_context: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
}

export interface ObjectStoreDatabase {
  partitions: PartitionsTable;
  partition_grants: PartitionGrantsTable;
  objects: ObjectsTable;
  heads: HeadsTable;
  current_objects: CurrentObjectsTable;
  feeds: FeedsTable;
  feed_grants: FeedGrantsTable;
  feed_selections: FeedSelectionsTable;
  outbox: OutboxTable;
}
