import { sql, type Insertable, type Kysely, type Updateable } from "kysely";
import type { PodDatabase, UserRow, UsersTable } from "./schema.js";
import { containsPattern, isUniqueViolation } from "./sql.js";

interface UserSearch {
  text: string;
  accountTypes: string[];
  title: string;
  company: string;
  location: string;
  skip: number;
  limit: number;
}

export class UserStore {
  constructor(private readonly db: Kysely<PodDatabase>) {}

  byUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst();
  }

  byId(id: number): Promise<UserRow | undefined> {
    return this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Users by id, username or email (case-insensitive), in no particular order. */
  findBy(column: "id" | "username" | "email", values: (string | number)[]): Promise<UserRow[]> {
    if (values.length === 0) return Promise.resolve([]);
    if (column === "email") return this.db.selectFrom("users").selectAll().where(sql<string>`lower(email)`, "in", values.map((v) => String(v).toLowerCase())).execute();
    return this.db.selectFrom("users").selectAll().where(column, "in", values as never[]).execute();
  }

  /** Enabled users whose names or email contain the text (case-insensitive), with the public API's filters. */
  async search(q: UserSearch): Promise<{ count: number; users: UserRow[] }> {
    const pattern = containsPattern(q.text);
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

  list(skip: number, limit: number): Promise<UserRow[]> {
    return this.db.selectFrom("users").selectAll().orderBy("id").offset(skip).limit(limit).execute();
  }

  /** Applies the changes; throws a unique violation when the new username or email is taken. */
  update(id: number, changes: Updateable<UsersTable>): Promise<UserRow | undefined> {
    return this.db.updateTable("users").set(changes).where("id", "=", id).returningAll().executeTakeFirst();
  }

  /** Inserts the user, or returns undefined when the username or email is taken. */
  async create(user: Insertable<UsersTable>): Promise<UserRow | undefined> {
    try {
      return await this.db.insertInto("users").values(user).returningAll().executeTakeFirstOrThrow();
    } catch (err) {
      if (isUniqueViolation(err)) return undefined;
      throw err;
    }
  }

  /** Creates the user only if nobody holds the username yet (first start of any replica). */
  async createIfAbsent(user: Insertable<UsersTable>): Promise<boolean> {
    const res = await this.db.insertInto("users").values(user).onConflict((oc) => oc.column("username").doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }
}
