import { sql, type Kysely } from "kysely";
import type { MemberRow, PodDatabase, UserRow } from "./schema.js";

/** Who belongs to which stream, and who owns it. */
export class MembershipStore {
  constructor(private readonly db: Kysely<PodDatabase>) {}

  of(streamId: string, userId: number): Promise<MemberRow | undefined> {
    return this.db.selectFrom("memberships").selectAll().where("stream_id", "=", streamId).where("user_id", "=", userId).executeTakeFirst();
  }

  /** Adds the member; false when the user already was one. */
  async add(streamId: string, userId: number, joinedAt: number, owner = false): Promise<boolean> {
    const res = await this.db
      .insertInto("memberships")
      .values({ stream_id: streamId, user_id: userId, owner, joined_at: joinedAt })
      .onConflict((oc) => oc.columns(["stream_id", "user_id"]).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** The members of a new stream. */
  async addAll(streamId: string, userIds: number[], joinedAt: number): Promise<void> {
    await this.db.insertInto("memberships").values(userIds.map((user_id) => ({ stream_id: streamId, user_id, joined_at: joinedAt }))).execute();
  }

  /** Removes the member; false when the user was not one. */
  async remove(streamId: string, userId: number): Promise<boolean> {
    const res = await this.db.deleteFrom("memberships").where("stream_id", "=", streamId).where("user_id", "=", userId).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Sets a member's owner flag; false when the user is not a member or already had that flag. */
  async setOwner(streamId: string, userId: number, owner: boolean): Promise<boolean> {
    const res = await this.db.updateTable("memberships").set({ owner }).where("stream_id", "=", streamId).where("user_id", "=", userId).where("owner", "=", !owner).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  list(streamId: string): Promise<MemberRow[]> {
    return this.db.selectFrom("memberships").selectAll().where("stream_id", "=", streamId).orderBy("joined_at").orderBy("user_id").execute();
  }

  /** One page of a stream's members with their accounts, and how many there are. */
  async page(streamId: string, skip: number, limit: number): Promise<{ count: number; members: (MemberRow & { user: UserRow })[] }> {
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
}
