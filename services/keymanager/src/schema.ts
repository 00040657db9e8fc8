import type { Generated } from "kysely";

export interface ContentKeysTable {
  stream_id: string;
  rotation_id: number;
  wrapped_key: Buffer;
  kek_version: number;
  created_at: number;
}

export type AuditDecision = "RELEASED" | "DENIED_NOT_MEMBER" | "DENIED_BEFORE_JOIN" | "DENIED_NOT_AUTHORIZED" | "NOT_FOUND" | "SHREDDED" | "ROTATED";
export type AuditAction = "RELEASE" | "RELEASE_WRAPPED" | "ROTATE" | "ROTATE_ON_MEMBERSHIP" | "SHRED" | "READ_AUDIT" | "RELOAD_MASTER_KEYS";

export interface KeyAuditTable {
  id: Generated<number>;
  at: number;
  user_id: number;
  stream_id: string;
  rotation_id: number | null;
  decision: AuditDecision;
  action: AuditAction;
  trace_id: string;
}

export interface MasterKeyChecksTable {
  version: number;
  check_value: Buffer;
  created_at: number;
}

export interface ShreddedStreamsTable {
  stream_id: string;
  shredded_at: number;
  shredded_by: number;
}

export interface KeyManagerDatabase {
  content_keys: ContentKeysTable;
  key_audit: KeyAuditTable;
  master_key_checks: MasterKeyChecksTable;
  shredded_streams: ShreddedStreamsTable;
}
