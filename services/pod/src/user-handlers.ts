import { invalidArgument, type UnaryHandlers } from "@symphony/kit";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { PodContext } from "./context.js";
import { page, userIdOf } from "./request-fields.js";
import type { UserRow } from "./schema.js";
import { toUserV2 } from "./users.js";

type UserHandlers = Pick<UnaryHandlers<PodServiceServer>, "findUsers" | "findUser" | "searchUsers" | "getUsers">;

const MAX_LOOKUP = 100;

function csv(raw: string, what: string): string[] {
  const items = raw.split(",").map((x) => x.trim()).filter(Boolean);
  if (items.length > MAX_LOOKUP) throw invalidArgument(`At most ${MAX_LOOKUP} ${what} per call`);
  return items;
}

function exactlyOneOf(req: { uid: unknown; email: string; username: string }): void {
  if ([req.uid, req.email, req.username].filter(Boolean).length !== 1) throw invalidArgument("Exactly one of uid, email or username is required");
}

/** The user directory every user may read: public profiles, looked up or searched. */
export function userHandlers(c: PodContext): UserHandlers {
  const { users } = c.stores;
  return {
    async findUsers(req) {
      exactlyOneOf(req);
      let found: UserRow[];
      let errors: { error: string; email: string; id: string }[] = [];
      if (req.uid) {
        const ids = csv(req.uid, "uids").map((x) => Number(x));
        if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) throw invalidArgument("uid must be a comma-separated list of user ids");
        found = await users.findBy("id", ids);
        errors = ids.filter((id) => !found.some((u) => u.id === id)).map((id) => ({ error: "invalid.id", email: "", id: String(id) }));
      } else if (req.email) {
        const emails = csv(req.email, "emails");
        found = await users.findBy("email", emails);
        errors = emails.filter((e) => !found.some((u) => u.email.toLowerCase() === e.toLowerCase())).map((e) => ({ error: "invalid.email", email: e, id: "" }));
      } else {
        const names = csv(req.username, "usernames");
        found = await users.findBy("username", names);
        errors = names.filter((n) => !found.some((u) => u.username === n)).map((n) => ({ error: "invalid.username", email: "", id: n }));
      }
      if (req.active !== undefined) found = found.filter((u) => (u.status === "ENABLED") === req.active);
      return { users: found.map(toUserV2), errors: found.length > 0 ? errors : [] };
    },

    async findUser(req) {
      exactlyOneOf(req);
      const [user] = req.uid ? await users.findBy("id", [userIdOf(req.uid, "uid")]) : req.email ? await users.findBy("email", [req.email]) : await users.findBy("username", [req.username]);
      return { user: user && toUserV2(user) };
    },

    async searchUsers(req) {
      const { skip, limit } = page(req.skip, req.limit);
      const text = req.query?.query.trim() ?? "";
      if (!text) throw invalidArgument("query is required");
      if (text.length > 256) throw invalidArgument("query is longer than 256 characters");
      const f = req.query?.filters;
      const { count, users: rows } = await users.search({ text, accountTypes: f?.accountTypes ?? [], title: f?.title ?? "", company: f?.company ?? "", location: f?.location ?? "", skip, limit });
      return { results: { count, skip, limit, searchQuery: req.query, users: rows.map(toUserV2) } };
    },

    async getUsers(req) {
      if (req.userIds.length > MAX_LOOKUP) throw invalidArgument(`At most ${MAX_LOOKUP} users per call`);
      const rows = await users.findBy("id", req.userIds.filter((id) => Number.isSafeInteger(id) && id > 0));
      return { users: rows.map(toUserV2) };
    },
  };
}
