import type { Generated } from "kysely";

export interface ContentKeysTable {
  stream_id: string;
  rotation_id: number;
  wrapped_key: Buffer;
  kek_version: number;
  created_at: number;
}

export interface KeyAuditTable {
  id: Generated<number>;
  at: number;
  user_id: number;
  stream_id: string;
  rotation_id: number | null;
  outcome: "RELEASED" | "DENIED_NOT_MEMBER" | "NOT_FOUND";
}

export interface KeyManagerDatabase {
  content_keys: ContentKeysTable;
  key_audit: KeyAuditTable;
}
