import type { ExpressionBuilder, Insertable, Kysely } from "kysely";
import type { ConnectionRow, ConnectionsTable, PodDatabase } from "./schema.js";

// A connection is one row whichever of the two users asked.
const eitherWay = (a: number, b: number) => (eb: ExpressionBuilder<PodDatabase, "connections">) =>
  eb.or([eb.and([eb("requester_id", "=", a), eb("target_id", "=", b)]), eb.and([eb("requester_id", "=", b), eb("target_id", "=", a)])]);

/** Connection requests between users and their answers. */
export class ConnectionStore {
  constructor(private readonly db: Kysely<PodDatabase>) {}

  between(a: number, b: number): Promise<ConnectionRow | undefined> {
    return this.db.selectFrom("connections").selectAll().where(eitherWay(a, b)).executeTakeFirst();
  }

  of(userId: number): Promise<ConnectionRow[]> {
    return this.db.selectFrom("connections").selectAll().where((eb) => eb.or([eb("requester_id", "=", userId), eb("target_id", "=", userId)])).orderBy("updated_at", "desc").execute();
  }

  /** Deletes the accepted connection between two users; false when there was none. */
  async removeAccepted(a: number, b: number): Promise<boolean> {
    const res = await this.db.deleteFrom("connections").where("status", "=", "ACCEPTED").where(eitherWay(a, b)).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Writes the request or its answer over whatever the requester asked before. */
  save(row: Insertable<ConnectionsTable>): Promise<ConnectionRow> {
    return this.db
      .insertInto("connections")
      .values(row)
      .onConflict((oc) => oc.columns(["requester_id", "target_id"]).doUpdateSet({ status: row.status, updated_at: row.updated_at, request_counter: row.request_counter }))
      .returningAll()
      .executeTakeFirstOrThrow();
  }
}
