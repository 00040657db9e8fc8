import type { Insertable, Kysely, Selectable } from "kysely";
import type { ContentKeysTable, KeyAuditTable, KeyManagerDatabase } from "./schema.js";

export type ContentKeyRow = Selectable<ContentKeysTable>;
export type AuditRow = Selectable<KeyAuditTable>;

export class KeyStore {
  constructor(readonly db: Kysely<KeyManagerDatabase>) {}

  key(streamId: string, rotationId: number): Promise<ContentKeyRow | undefined> {
    return this.db.selectFrom("content_keys").selectAll().where("stream_id", "=", streamId).where("rotation_id", "=", rotationId).executeTakeFirst();
  }

  currentKey(streamId: string): Promise<ContentKeyRow | undefined> {
    return this.db.selectFrom("content_keys").selectAll().where("stream_id", "=", streamId).orderBy("rotation_id", "desc").limit(1).executeTakeFirst();
  }

  /**
   * Inserts the key together with its audit row, in one transaction: a rotation is never in effect
   * without its audit. False (and no audit) when another request or replica created that rotation first.
   */
  insertKeyAudited(row: Insertable<ContentKeysTable>, audit: Omit<Insertable<KeyAuditTable>, "rotation_id" | "stream_id">): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const res = await tx.insertInto("content_keys").values(row).onConflict((oc) => oc.columns(["stream_id", "rotation_id"]).doNothing()).executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      await tx.insertInto("key_audit").values({ ...audit, stream_id: row.stream_id, rotation_id: row.rotation_id }).execute();
      return true;
    });
  }

  /** Inserts the key; false when another request (or replica) created that rotation first. */
  async insertKey(row: Insertable<ContentKeysTable>): Promise<boolean> {
    const res = await this.db.insertInto("content_keys").values(row).onConflict((oc) => oc.columns(["stream_id", "rotation_id"]).doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async isShredded(streamId: string): Promise<boolean> {
    return (await this.db.selectFrom("shredded_streams").select("stream_id").where("stream_id", "=", streamId).executeTakeFirst()) !== undefined;
  }

  /** Destroys every content key of the stream and marks it, so no key is ever created for it again. */
  shred(streamId: string, by: number, now: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      await tx.insertInto("shredded_streams").values({ stream_id: streamId, shredded_at: now, shredded_by: by }).onConflict((oc) => oc.column("stream_id").doNothing()).execute();
      const res = await tx.deleteFrom("content_keys").where("stream_id", "=", streamId).executeTakeFirst();
      return Number(res.numDeletedRows);
    });
  }

  async masterKeyChecks(): Promise<Map<number, Buffer>> {
    const rows = await this.db.selectFrom("master_key_checks").select(["version", "check_value"]).execute();
    return new Map(rows.map((r) => [r.version, r.check_value]));
  }

  async recordMasterKeyCheck(version: number, checkValue: Buffer): Promise<void> {
    await this.db.insertInto("master_key_checks").values({ version, check_value: checkValue, created_at: Date.now() }).onConflict((oc) => oc.column("version").doNothing()).execute();
  }

  async masterKeyVersionsInUse(): Promise<number[]> {
    const rows = await this.db.selectFrom("content_keys").select("kek_version").distinct().execute();
    return rows.map((r) => r.kek_version);
  }

  keysWrappedByOtherThan(version: number, limit: number): Promise<ContentKeyRow[]> {
    return this.db.selectFrom("content_keys").selectAll().where("kek_version", "<>", version).limit(limit).execute();
  }

  async countWrappedByOtherThan(version: number): Promise<number> {
    const row = await this.db.selectFrom("content_keys").select((eb) => eb.fn.countAll<number>().as("n")).where("kek_version", "<>", version).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Replaces a wrapped key only if nobody rewrapped it meanwhile. */
  async rewrap(row: ContentKeyRow, wrappedKey: Buffer, version: number): Promise<void> {
    await this.db
      .updateTable("content_keys")
      .set({ wrapped_key: wrappedKey, kek_version: version })
      .where("stream_id", "=", row.stream_id)
      .where("rotation_id", "=", row.rotation_id)
      .where("kek_version", "=", row.kek_version)
      .execute();
  }

  async audit(entry: Insertable<KeyAuditTable>): Promise<void> {
    await this.db.insertInto("key_audit").values(entry).execute();
  }

  auditEntries(q: { streamId?: string; userId?: number; since: number; limit: number }): Promise<AuditRow[]> {
    let query = this.db.selectFrom("key_audit").selectAll().where("at", ">=", q.since);
    if (q.streamId) query = query.where("stream_id", "=", q.streamId);
    if (q.userId !== undefined) query = query.where("user_id", "=", q.userId);
    return query.orderBy("id", "desc").limit(q.limit).execute();
  }
}
