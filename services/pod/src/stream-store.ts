import { sql, type Insertable, type Kysely, type Updateable } from "kysely";
import type { PodDatabase, StreamRow, StreamsTable } from "./schema.js";
import { containsPattern } from "./sql.js";

interface RoomSearch {
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
}

interface MemberStreamQuery {
  userId: number;
  types: string[];
  includeInactive: boolean;
  skip: number;
  limit: number;
  streamId?: string;
  oldestFirst?: boolean;
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

/** Streams (rooms, IMs, MIMs) and the listings of them, which read their memberships and messages. */
export class StreamStore {
  constructor(private readonly db: Kysely<PodDatabase>) {}

  byId(id: string): Promise<StreamRow | undefined> {
    return this.db.selectFrom("streams").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** The IM or MIM of exactly the members this key names. */
  imByKey(imKey: string): Promise<StreamRow | undefined> {
    return this.db.selectFrom("streams").selectAll().where("im_key", "=", imKey).executeTakeFirst();
  }

  /** Inserts the stream; an IM whose key exists already is a unique violation. */
  insert(stream: Insertable<StreamsTable>): Promise<StreamRow> {
    return this.db.insertInto("streams").values(stream).returningAll().executeTakeFirstOrThrow();
  }

  update(id: string, changes: Updateable<StreamsTable>): Promise<StreamRow | undefined> {
    return this.db.updateTable("streams").set(changes).where("id", "=", id).returningAll().executeTakeFirst();
  }

  /** Rooms matching the search, as a reader may see them: discoverable ones, or ones the reader belongs to. */
  async searchRooms(q: RoomSearch): Promise<{ count: number; rooms: StreamRow[] }> {
    const pattern = containsPattern(q.text);
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
  ofMember(q: MemberStreamQuery) {
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
  async adminList(q: AdminStreamQuery): Promise<{ count: number; streams: AdminStreamRow[] }> {
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
}
