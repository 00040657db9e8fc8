import { sql, type Kysely } from "kysely";
import type { OutboxInsert, PodDatabase, UserRow } from "./schema.js";

export interface StoredMessageRow {
  id: string;
  stream_id: string;
  stream_type: string;
  created_at: number;
  ciphertext: Buffer;
  sender: UserRow;
}

interface NewMessage {
  id: string;
  streamId: string;
  senderId: number;
  createdAt: number;
  ciphertext: Buffer;
}

interface MessagePage {
  streamId: string;
  readerId: number;
  since: number;
  until?: number;
  skip: number;
  limit: number;
}

/** Messages (ciphertext only), readable by the members of their stream. */
export class MessageStore {
  constructor(private readonly db: Kysely<PodDatabase>) {}

  /**
   * Stores a message and its event in one statement, only if the sender is a member of the
   * active stream; returns the sender's row, or undefined when that check fails. One round trip
   * on the hot path.
   */
  async store(msg: NewMessage, event: OutboxInsert): Promise<UserRow | undefined> {
    const { rows } = await sql<UserRow>`
      with allowed as (
        select 1 from streams s join memberships m on m.stream_id = s.id
        where s.id = ${msg.streamId} and m.user_id = ${msg.senderId} and s.active
      ), stored as (
        insert into messages (id, stream_id, sender_id, created_at, ciphertext)
        select ${msg.id}, ${msg.streamId}, ${msg.senderId}, ${msg.createdAt}, ${msg.ciphertext} from allowed
        returning sender_id
      ), announced as (
        insert into outbox (event_id, stream_id, payload, created_at, trace_context, recipients)
        select ${event.event_id}, ${event.stream_id}, ${event.payload}, ${event.created_at}, ${event.trace_context ?? null}::jsonb,
          array(select user_id from memberships where stream_id = ${msg.streamId})
        from stored
      )
      select u.* from users u join stored on u.id = stored.sender_id`.execute(this.db);
    return rows[0];
  }

  /** Messages of a stream the reader belongs to, oldest first; [] for a non-member. */
  list(q: MessagePage): Promise<StoredMessageRow[]> {
    let query = this.readable(q.readerId).where("m.stream_id", "=", q.streamId).where("m.created_at", ">=", q.since);
    if (q.until !== undefined) query = query.where("m.created_at", "<", q.until);
    return query.orderBy("m.created_at").orderBy("m.id").offset(q.skip).limit(q.limit).execute();
  }

  /** The message, if the reader belongs to its stream and may see it (see readable). */
  byId(id: string, readerId: number): Promise<StoredMessageRow | undefined> {
    return this.readable(readerId).where("m.id", "=", id).executeTakeFirst();
  }

  /** Who sent a message of this stream that is not suppressed. */
  async sender(streamId: string, messageId: string): Promise<number | undefined> {
    const row = await this.db.selectFrom("messages").select("sender_id").where("id", "=", messageId).where("stream_id", "=", streamId).where("suppressed_at", "is", null).executeTakeFirst();
    return row?.sender_id;
  }

  /** Marks the message suppressed; its stream, or undefined when there was nothing to suppress. */
  suppress(id: string, now: number): Promise<{ id: string; type: string } | undefined> {
    return this.db
      .updateTable("messages as m")
      .set({ suppressed_at: now })
      .from("streams as s")
      .whereRef("s.id", "=", "m.stream_id")
      .where("m.id", "=", id)
      .where("m.suppressed_at", "is", null)
      .returning(["m.stream_id as id", "s.type"])
      .executeTakeFirst();
  }

  private readable(readerId: number) {
    return this.db
      .selectFrom("messages as m")
      .innerJoin("memberships as r", (j) => j.onRef("r.stream_id", "=", "m.stream_id").on("r.user_id", "=", readerId))
      .innerJoin("streams as s", "s.id", "m.stream_id")
      .innerJoin("users as u", "u.id", "m.sender_id")
      .where("m.suppressed_at", "is", null)
      // A room without viewHistory shows a member only what was sent since they joined.
      .where(sql<boolean>`(m.created_at >= r.joined_at or s.type <> 'ROOM' or s.attributes->>'viewHistory' = 'true')`)
      .select(["m.id", "m.stream_id", "m.created_at", "m.ciphertext", "s.type as stream_type"])
      // to_jsonb renders bigint columns as JSON numbers, exact for ids below 2^53.
      .select(sql<UserRow>`to_jsonb(u)`.as("sender"));
  }
}
