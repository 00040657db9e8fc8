import type { Insertable, Kysely, Selectable } from "kysely";
import type { ContentKeysTable, KeyAuditTable, KeyManagerDatabase } from "./schema.js";

export type ContentKeyRow = Selectable<ContentKeysTable>;

export class KeyStore {
  constructor(readonly db: Kysely<KeyManagerDatabase>) {}

  key(streamId: string, rotationId: number): Promise<ContentKeyRow | undefined> {
    return this.db.selectFrom("content_keys").selectAll().where("stream_id", "=", streamId).where("rotation_id", "=", rotationId).executeTakeFirst();
  }

  currentKey(streamId: string): Promise<ContentKeyRow | undefined> {
    return this.db.selectFrom("content_keys").selectAll().where("stream_id", "=", streamId).orderBy("rotation_id", "desc").limit(1).executeTakeFirst();
  }

  /** Inserts the key unless another request (or replica) created that rotation first. */
  async insertKey(row: Insertable<ContentKeysTable>): Promise<void> {
    await this.db.insertInto("content_keys").values(row).onConflict((oc) => oc.columns(["stream_id", "rotation_id"]).doNothing()).execute();
  }

  async audit(entry: Insertable<KeyAuditTable>): Promise<void> {
    await this.db.insertInto("key_audit").values(entry).execute();
  }
}
