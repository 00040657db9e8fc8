import { sql, type Insertable, type Kysely, type Selectable } from "kysely";
import type { MembershipsTable, OutboxTable, PodDatabase, StreamsTable, UsersTable } from "./schema.js";

export type UserRow = Selectable<UsersTable>;
export type StreamRow = Selectable<StreamsTable>;
export type MemberRow = Selectable<MembershipsTable>;

export interface StoredMessageRow {
  id: string;
  stream_id: string;
  stream_type: string;
  created_at: number;
  ciphertext: Buffer;
  sender: UserRow;
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "23505";

export class PodStore {
  constructor(readonly db: Kysely<PodDatabase>) {}

  userByUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst();
  }

  userById(id: number): Promise<UserRow | undefined> {
    return this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  usersByIds(ids: number[]): Promise<UserRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom("users").selectAll().where("id", "in", ids).execute();
  }

  /** Inserts the user, or returns undefined when the username or email is taken. */
  async createUser(user: Insertable<UsersTable>): Promise<UserRow | undefined> {
    try {
      return await this.db.insertInto("users").values(user).returningAll().executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err)) return undefined;
      throw err;
    }
  }

  /** Creates the user only if nobody holds the username yet (first start of any replica). */
  async createUserIfAbsent(user: Insertable<UsersTable>): Promise<boolean> {
    const res = await this.db.insertInto("users").values(user).onConflict((oc) => oc.column("username").doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async createRoom(stream: Insertable<StreamsTable>, events: Insertable<OutboxTable>[]): Promise<StreamRow> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.insertInto("streams").values(stream).returningAll().executeTakeFirstOrThrow();
      await tx.insertInto("memberships").values({ stream_id: row.id, user_id: row.created_by, owner: true, joined_at: row.created_at }).execute();
      await tx.insertInto("outbox").values(events).execute();
      return row;
    });
  }

  streamById(id: string): Promise<StreamRow | undefined> {
    return this.db.selectFrom("streams").selectAll().where("id", "=", id).executeTakeFirst();
  }

  membership(streamId: string, userId: number): Promise<MemberRow | undefined> {
    return this.db.selectFrom("memberships").selectAll().where("stream_id", "=", streamId).where("user_id", "=", userId).executeTakeFirst();
  }

  /** Adds the member; false when the user already was one. */
  async addMember(streamId: string, userId: number, now: number, event: Insertable<OutboxTable>): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const res = await tx
        .insertInto("memberships")
        .values({ stream_id: streamId, user_id: userId, joined_at: now })
        .onConflict((oc) => oc.columns(["stream_id", "user_id"]).doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      await tx.insertInto("outbox").values(event).execute();
      return true;
    });
  }

  /** Removes the member; false when the user was not one. */
  async removeMember(streamId: string, userId: number, event: Insertable<OutboxTable>): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const res = await tx.deleteFrom("memberships").where("stream_id", "=", streamId).where("user_id", "=", userId).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return false;
      await tx.insertInto("outbox").values(event).execute();
      return true;
    });
  }

  members(streamId: string): Promise<MemberRow[]> {
    return this.db.selectFrom("memberships").selectAll().where("stream_id", "=", streamId).orderBy("joined_at").orderBy("user_id").execute();
  }

  membersOfStreams(streamIds: string[]): Promise<Pick<MemberRow, "stream_id" | "user_id">[]> {
    if (streamIds.length === 0) return Promise.resolve([]);
    return this.db.selectFrom("memberships").select(["stream_id", "user_id"]).where("stream_id", "in", streamIds).execute();
  }

  /**
   * Stores a message and its event in one statement, only if the sender is a member of the
   * active stream; returns the sender's row, or undefined when that check fails. One round trip
   * on the hot path.
   */
  async storeMessage(msg: { id: string; streamId: string; senderId: number; createdAt: number; ciphertext: Buffer }, event: Insertable<OutboxTable>): Promise<UserRow | undefined> {
    const { rows } = await sql<UserRow>`
      with allowed as (
        select 1 from streams s join memberships m on m.stream_id = s.id
        where s.id = ${msg.streamId} and m.user_id = ${msg.senderId} and s.active
      ), stored as (
        insert into messages (id, stream_id, sender_id, created_at, ciphertext)
        select ${msg.id}, ${msg.streamId}, ${msg.senderId}, ${msg.createdAt}, ${msg.ciphertext} from allowed
        returning sender_id
      ), announced as (
        insert into outbox (event_id, stream_id, payload, created_at)
        select ${event.event_id}, ${event.stream_id}, ${event.payload}, ${event.created_at} from stored
      )
      select u.* from users u join stored on u.id = stored.sender_id`.execute(this.db);
    return rows[0];
  }

  /** Messages of a stream the reader belongs to, oldest first; [] for a non-member. */
  async messages(q: { streamId: string; readerId: number; since: number; until?: number; skip: number; limit: number }): Promise<StoredMessageRow[]> {
    let query = this.messageQuery(q.readerId).where("m.stream_id", "=", q.streamId).where("m.created_at", ">=", q.since);
    if (q.until !== undefined) query = query.where("m.created_at", "<", q.until);
    return query.orderBy("m.created_at").orderBy("m.id").offset(q.skip).limit(q.limit).execute();
  }

  async message(id: string, readerId: number): Promise<StoredMessageRow | undefined> {
    return this.messageQuery(readerId).where("m.id", "=", id).executeTakeFirst();
  }

  private messageQuery(readerId: number) {
    return this.db
      .selectFrom("messages as m")
      .innerJoin("memberships as r", (j) => j.onRef("r.stream_id", "=", "m.stream_id").on("r.user_id", "=", readerId))
      .innerJoin("streams as s", "s.id", "m.stream_id")
      .innerJoin("users as u", "u.id", "m.sender_id")
      .select(["m.id", "m.stream_id", "m.created_at", "m.ciphertext", "s.type as stream_type"])
      // to_jsonb renders bigint columns as JSON numbers, exact for ids below 2^53.
      .select(sql<UserRow>`to_jsonb(u)`.as("sender"));
  }

  /** Unpublished outbox rows, oldest first, locked for this relay until the transaction ends. */
  unpublished(tx: Kysely<PodDatabase>, limit: number) {
    return tx.selectFrom("outbox").select(["seq", "event_id", "stream_id", "payload"]).where("published_at", "is", null).orderBy("seq").limit(limit).forUpdate().skipLocked().execute();
  }

  markPublished(tx: Kysely<PodDatabase>, seqs: number[], now: number) {
    return tx.updateTable("outbox").set({ published_at: now }).where("seq", "in", seqs).execute();
  }
}
