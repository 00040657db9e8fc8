import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from "kysely";
import type { ConnectionsTable, MembershipsTable, OutboxTable, PodDatabase, StreamsTable, UsersTable } from "./schema.js";

export type UserRow = Selectable<UsersTable>;
export type StreamRow = Selectable<StreamsTable>;
export type MemberRow = Selectable<MembershipsTable>;
export type ConnectionRow = Selectable<ConnectionsTable>;

export interface StoredMessageRow {
  id: string;
  stream_id: string;
  stream_type: string;
  created_at: number;
  ciphertext: Buffer;
  sender: UserRow;
}

export interface AdminStreamQuery {
  types: string[];
  active?: boolean;
  public?: boolean;
  /** Bounds on when a member joined (the creator joins on creation). */
  joinedFrom?: number;
  joinedTo?: number;
  skip: number;
  limit: number;
}

export type AdminStreamRow = StreamRow & {
  last_message_date: number | null;
  /** IMs and MIMs only: a room may have thousands of members. */
  member_ids: number[] | null;
  members_count: number;
  last_joined_at: number | null;
};

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "23505";

/**
 * Writes events with their recipients: the stream's members as of this transaction, plus users the
 * event is about who may no longer be members (someone who just left must still hear of it).
 */
async function announce(tx: Kysely<PodDatabase>, streamId: string, events: Insertable<OutboxTable>[], alsoTo: number[] = []): Promise<void> {
  const members = await tx.selectFrom("memberships").select("user_id").where("stream_id", "=", streamId).execute();
  const recipients = [...new Set([...members.map((m) => m.user_id), ...alsoTo])];
  await tx.insertInto("outbox").values(events.map((e) => ({ ...e, recipients }))).execute();
}

export type OutboxRow = Awaited<ReturnType<PodStore["unpublished"]>>[number];

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

  usersBy(column: "id" | "username" | "email", values: (string | number)[]): Promise<UserRow[]> {
    if (values.length === 0) return Promise.resolve([]);
    if (column === "email") return this.db.selectFrom("users").selectAll().where(sql<string>`lower(email)`, "in", values.map((v) => String(v).toLowerCase())).execute();
    return this.db.selectFrom("users").selectAll().where(column, "in", values as never[]).execute();
  }

  /** Users whose names or email contain the query (case-insensitive), with the public API's filters. */
  async searchUsers(q: { text: string; accountTypes: string[]; title: string; company: string; location: string; skip: number; limit: number }): Promise<{ count: number; users: UserRow[] }> {
    const pattern = `%${q.text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    let query = this.db
      .selectFrom("users")
      .where("status", "=", "ENABLED")
      .where((eb) =>
        eb.or(["username", "email", "display_name", "first_name", "last_name"].map((c) => eb(sql<string>`lower(${sql.ref(c)})`, "like", pattern))),
      );
    if (q.accountTypes.length > 0) query = query.where("account_type", "in", q.accountTypes);
    for (const [key, value] of [["title", q.title], ["companyName", q.company], ["location", q.location]] as const) {
      if (value) query = query.where(sql<string>`lower(attributes->>${key})`, "=", value.toLowerCase());
    }
    const [{ n }, users] = await Promise.all([
      query.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
      query.selectAll().orderBy("display_name").orderBy("id").offset(q.skip).limit(q.limit).execute(),
    ]);
    return { count: Number(n), users };
  }

  listUsers(skip: number, limit: number): Promise<UserRow[]> {
    return this.db.selectFrom("users").selectAll().orderBy("id").offset(skip).limit(limit).execute();
  }

  updateUser(id: number, changes: Updateable<UsersTable>): Promise<UserRow | undefined> {
    return this.db.updateTable("users").set(changes).where("id", "=", id).returningAll().executeTakeFirst();
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
      await announce(tx, row.id, events);
      return row;
    });
  }

  /** The IM of exactly these members, created (with its memberships and event) if it does not exist. */
  async findOrCreateIm(stream: Insertable<StreamsTable>, members: number[], event: (id: string) => Insertable<OutboxTable>): Promise<StreamRow> {
    const existing = await this.db.selectFrom("streams").selectAll().where("im_key", "=", stream.im_key!).executeTakeFirst();
    if (existing) return existing;
    try {
      return await this.db.transaction().execute(async (tx) => {
        const row = await tx.insertInto("streams").values(stream).returningAll().executeTakeFirstOrThrow();
        await tx.insertInto("memberships").values(members.map((user_id) => ({ stream_id: row.id, user_id, joined_at: row.created_at }))).execute();
        await announce(tx, row.id, [event(row.id)]);
        return row;
      });
    } catch (err) {
      // Two callers created the same IM at once: the other one won.
      if (!isUniqueViolation(err)) throw err;
      return this.db.selectFrom("streams").selectAll().where("im_key", "=", stream.im_key!).executeTakeFirstOrThrow();
    }
  }

  /** Applies a change to a stream together with its event. */
  updateStream(id: string, changes: Updateable<StreamsTable>, event: Insertable<OutboxTable>): Promise<StreamRow | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.updateTable("streams").set(changes).where("id", "=", id).returningAll().executeTakeFirst();
      if (row) await announce(tx, id, [event]);
      return row;
    });
  }

  /** Sets a member's owner flag; false when the user is not a member or already had that flag. */
  setOwner(streamId: string, userId: number, owner: boolean, event: Insertable<OutboxTable>): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const res = await tx.updateTable("memberships").set({ owner }).where("stream_id", "=", streamId).where("user_id", "=", userId).where("owner", "=", !owner).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return false;
      await announce(tx, streamId, [event]);
      return true;
    });
  }

  /** Rooms matching the search, as a reader may see them: discoverable ones, or ones the reader belongs to. */
  async searchRooms(q: {
    readerId: number;
    text: string;
    active?: boolean;
    private?: boolean;
    ownerId?: number;
    creatorId?: number;
    memberId?: number;
    includeNonDiscoverable: boolean;
    skip: number;
    limit: number;
  }): Promise<{ count: number; rooms: StreamRow[] }> {
    const pattern = `%${q.text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    let query = this.db
      .selectFrom("streams as s")
      .where("s.type", "=", "ROOM")
      .where((eb) => eb.or([eb(sql<string>`lower(s.name)`, "like", pattern), eb(sql<string>`lower(s.attributes->>'description')`, "like", pattern)]))
      .where((eb) =>
        eb.or([
          eb(sql<boolean>`coalesce((s.attributes->>'discoverable')::boolean, false)`, "=", true),
          eb.exists(eb.selectFrom("memberships as r").select("r.user_id").whereRef("r.stream_id", "=", "s.id").where("r.user_id", "=", q.readerId)),
          ...(q.includeNonDiscoverable ? [eb.val(true)] : []),
        ]),
      );
    if (q.active !== undefined) query = query.where("s.active", "=", q.active);
    if (q.private !== undefined) query = query.where(sql<boolean>`coalesce((s.attributes->>'public')::boolean, false)`, "=", !q.private);
    if (q.creatorId !== undefined) query = query.where("s.created_by", "=", q.creatorId);
    for (const [userId, ownerOnly] of [[q.memberId, false], [q.ownerId, true]] as const) {
      if (userId === undefined) continue;
      query = query.where((eb) =>
        eb.exists(
          eb.selectFrom("memberships as m").select("m.user_id").whereRef("m.stream_id", "=", "s.id").where("m.user_id", "=", userId).$if(ownerOnly, (qb) => qb.where("m.owner", "=", true)),
        ),
      );
    }
    const [{ n }, rooms] = await Promise.all([
      query.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
      query.selectAll("s").orderBy("s.created_at", "desc").orderBy("s.id").offset(q.skip).limit(q.limit).execute(),
    ]);
    return { count: Number(n), rooms };
  }

  /** The streams a user belongs to, with their members (IMs) and last message time. */
  streamsOf(q: { userId: number; types: string[]; includeInactive: boolean; skip: number; limit: number; streamId?: string; oldestFirst?: boolean }) {
    let query = this.db
      .selectFrom("streams as s")
      .innerJoin("memberships as m", (j) => j.onRef("m.stream_id", "=", "s.id").on("m.user_id", "=", q.userId))
      .selectAll("s")
      .select((eb) => [
        eb.selectFrom("messages as x").select((e) => e.fn.max("x.created_at").as("t")).whereRef("x.stream_id", "=", "s.id").as("last_message_date"),
        sql<number[]>`array(select user_id from memberships a where a.stream_id = s.id order by user_id)`.as("member_ids"),
      ]);
    if (q.types.length > 0) query = query.where("s.type", "in", q.types);
    if (q.streamId) query = query.where("s.id", "=", q.streamId);
    if (!q.includeInactive) query = query.where("s.active", "=", true);
    return query.orderBy("s.created_at", q.oldestFirst ? "asc" : "desc").orderBy("s.id").offset(q.skip).limit(q.limit).execute();
  }

  /** Every stream matching an administrator's filter, newest first, with the total count. */
  async adminStreams(q: AdminStreamQuery): Promise<{ count: number; streams: AdminStreamRow[] }> {
    let query = this.db.selectFrom("streams as s");
    if (q.types.length > 0) query = query.where("s.type", "in", q.types);
    if (q.active !== undefined) query = query.where("s.active", "=", q.active);
    if (q.public !== undefined) query = query.where(sql<boolean>`(s.type = 'ROOM' and coalesce((s.attributes->>'public')::boolean, false))`, "=", q.public);
    const { joinedFrom, joinedTo } = q;
    if (joinedFrom !== undefined || joinedTo !== undefined) {
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom("memberships as j")
            .select("j.user_id")
            .whereRef("j.stream_id", "=", "s.id")
            .$if(joinedFrom !== undefined, (qb) => qb.where("j.joined_at", ">=", joinedFrom!))
            .$if(joinedTo !== undefined, (qb) => qb.where("j.joined_at", "<=", joinedTo!)),
        ),
      );
    }
    const [{ n }, streams] = await Promise.all([
      query.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
      query
        .selectAll("s")
        .select((eb) => [
          eb.selectFrom("messages as x").select((e) => e.fn.max("x.created_at").as("t")).whereRef("x.stream_id", "=", "s.id").as("last_message_date"),
          sql<number[] | null>`case when s.type = 'ROOM' then null else array(select user_id from memberships a where a.stream_id = s.id order by user_id) end`.as("member_ids"),
          sql<number>`(select count(*)::int from memberships a where a.stream_id = s.id)`.as("members_count"),
          sql<number | null>`(select max(joined_at) from memberships a where a.stream_id = s.id)`.as("last_joined_at"),
        ])
        .orderBy("s.created_at", "desc")
        .orderBy("s.id")
        .offset(q.skip)
        .limit(q.limit)
        .execute(),
    ]);
    return { count: Number(n), streams };
  }

  async memberPage(streamId: string, skip: number, limit: number): Promise<{ count: number; members: (MemberRow & { user: UserRow })[] }> {
    const base = this.db.selectFrom("memberships as m").where("m.stream_id", "=", streamId);
    const [{ n }, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
      base
        .innerJoin("users as u", "u.id", "m.user_id")
        .selectAll("m")
        .select(sql<UserRow>`to_jsonb(u)`.as("user"))
        .orderBy("m.joined_at")
        .orderBy("m.user_id")
        .offset(skip)
        .limit(limit)
        .execute(),
    ]);
    return { count: Number(n), members: rows };
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
      await announce(tx, streamId, [event]);
      return true;
    });
  }

  /** Removes the member; false when the user was not one. */
  async removeMember(streamId: string, userId: number, event: Insertable<OutboxTable>): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const res = await tx.deleteFrom("memberships").where("stream_id", "=", streamId).where("user_id", "=", userId).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return false;
      await announce(tx, streamId, [event], [userId]);
      return true;
    });
  }

  /** Writes an event for exactly these users. */
  async announceTo(event: Insertable<OutboxTable>, recipients: number[]): Promise<void> {
    await this.db.insertInto("outbox").values({ ...event, recipients }).execute();
  }

  /** Writes an event for the stream's members. */
  announceToMembers(streamId: string, event: Insertable<OutboxTable>): Promise<void> {
    return this.db.transaction().execute((tx) => announce(tx, streamId, [event]));
  }

  members(streamId: string): Promise<MemberRow[]> {
    return this.db.selectFrom("memberships").selectAll().where("stream_id", "=", streamId).orderBy("joined_at").orderBy("user_id").execute();
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
        insert into outbox (event_id, stream_id, payload, created_at, trace_context, recipients)
        select ${event.event_id}, ${event.stream_id}, ${event.payload}, ${event.created_at}, ${event.trace_context ?? null}::jsonb,
          array(select user_id from memberships where stream_id = ${msg.streamId})
        from stored
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
      .where("m.suppressed_at", "is", null)
      .select(["m.id", "m.stream_id", "m.created_at", "m.ciphertext", "s.type as stream_type"])
      // to_jsonb renders bigint columns as JSON numbers, exact for ids below 2^53.
      .select(sql<UserRow>`to_jsonb(u)`.as("sender"));
  }

  /** Who sent a message of this stream that is not suppressed. */
  async messageSender(streamId: string, messageId: string): Promise<number | undefined> {
    const row = await this.db.selectFrom("messages").select("sender_id").where("id", "=", messageId).where("stream_id", "=", streamId).where("suppressed_at", "is", null).executeTakeFirst();
    return row?.sender_id;
  }

  /** Marks the message suppressed with its event; the stream id, or undefined when there was nothing to suppress. */
  suppressMessage(id: string, now: number, event: (streamId: string, streamType: string) => Insertable<OutboxTable>): Promise<string | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable("messages as m")
        .set({ suppressed_at: now })
        .from("streams as s")
        .whereRef("s.id", "=", "m.stream_id")
        .where("m.id", "=", id)
        .where("m.suppressed_at", "is", null)
        .returning(["m.stream_id", "s.type"])
        .executeTakeFirst();
      if (!row) return undefined;
      await announce(tx, row.stream_id, [event(row.stream_id, row.type)]);
      return row.stream_id;
    });
  }

  /** The connection between two users, whichever asked. */
  connection(a: number, b: number): Promise<ConnectionRow | undefined> {
    return this.db
      .selectFrom("connections")
      .selectAll()
      .where((eb) => eb.or([eb.and([eb("requester_id", "=", a), eb("target_id", "=", b)]), eb.and([eb("requester_id", "=", b), eb("target_id", "=", a)])]))
      .executeTakeFirst();
  }

  connectionsOf(userId: number): Promise<ConnectionRow[]> {
    return this.db.selectFrom("connections").selectAll().where((eb) => eb.or([eb("requester_id", "=", userId), eb("target_id", "=", userId)])).orderBy("updated_at", "desc").execute();
  }

  /** Deletes the accepted connection between two users; false when there was none. */
  async removeAcceptedConnection(a: number, b: number): Promise<boolean> {
    const res = await this.db
      .deleteFrom("connections")
      .where("status", "=", "ACCEPTED")
      .where((eb) => eb.or([eb.and([eb("requester_id", "=", a), eb("target_id", "=", b)]), eb.and([eb("requester_id", "=", b), eb("target_id", "=", a)])]))
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Writes the connection and, when there is one, its event to the users it names. */
  saveConnection(row: Insertable<ConnectionsTable>, event?: { row: Insertable<OutboxTable>; to: number[] }): Promise<ConnectionRow> {
    return this.db.transaction().execute(async (tx) => {
      const saved = await tx
        .insertInto("connections")
        .values(row)
        .onConflict((oc) => oc.columns(["requester_id", "target_id"]).doUpdateSet({ status: row.status, updated_at: row.updated_at, request_counter: row.request_counter }))
        .returningAll()
        .executeTakeFirstOrThrow();
      if (event) await tx.insertInto("outbox").values({ ...event.row, recipients: event.to }).execute();
      return saved;
    });
  }

  async outboxBacklog(): Promise<number> {
    const row = await this.db.selectFrom("outbox").select((eb) => eb.fn.countAll<number>().as("n")).where("published_at", "is", null).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Unpublished outbox rows due for a try, oldest first, locked for this relay until the transaction ends. */
  unpublished(tx: Kysely<PodDatabase>, limit: number, now: number) {
    return tx
      .selectFrom("outbox")
      .select(["seq", "event_id", "payload", "recipients", "trace_context", "attempts"])
      .where("published_at", "is", null)
      .where((eb) => eb.or([eb("next_attempt_at", "is", null), eb("next_attempt_at", "<=", now)]))
      .orderBy("seq")
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
  }

  markPublished(tx: Kysely<PodDatabase>, seqs: number[], now: number) {
    return tx.updateTable("outbox").set({ published_at: now }).where("seq", "in", seqs).execute();
  }

  /** Rows published at or after `since`, in commit order, from seq `after` on. */
  publishedSince(since: number, after: number, limit: number) {
    return this.db
      .selectFrom("outbox")
      .select(["seq", "event_id", "payload", "recipients", "trace_context"])
      .where("published_at", ">=", since)
      .where("seq", ">", after)
      .orderBy("seq")
      .limit(limit)
      .execute();
  }

  async prunePublished(before: number): Promise<number> {
    const res = await this.db.deleteFrom("outbox").where("published_at", "<", before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
