import { invalidArgument, notFound, permissionDenied, type UnaryHandlers } from "@symphony/kit";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import { page, userIdOf, type PodContext } from "./context.js";
import type { UserRow } from "./store.js";
import { newUserRow, ROLES, toUserDetail, toUserV2, userUpdate } from "./users.js";

type UserHandlers = Pick<
  UnaryHandlers<PodServiceServer>,
  | "createUser"
  | "findUsers"
  | "findUser"
  | "searchUsers"
  | "getUserDetail"
  | "updateUser"
  | "listUserDetails"
  | "getUserStatus"
  | "updateUserStatus"
  | "addUserRole"
  | "removeUserRole"
  | "listRoles"
  | "getUsers"
>;

const MAX_LOOKUP = 100;
// Only a super administrator makes another one: user provisioning must not be a way up.
const SUPER_ADMIN = "SUPER_ADMINISTRATOR";

function mayGrant(caller: UserRow, roles: string[]): void {
  if (roles.includes(SUPER_ADMIN) && !caller.roles.includes(SUPER_ADMIN)) throw permissionDenied("Only a super administrator can grant SUPER_ADMINISTRATOR");
}

function csv(raw: string, what: string): string[] {
  const items = raw.split(",").map((x) => x.trim()).filter(Boolean);
  if (items.length > MAX_LOOKUP) throw invalidArgument(`At most ${MAX_LOOKUP} ${what} per call`);
  return items;
}

export function userHandlers(c: PodContext): UserHandlers {
  const { store } = c;

  const existingUser = async (uid: number): Promise<UserRow> => {
    const user = await store.userById(userIdOf(uid, "uid"));
    if (!user) throw invalidArgument("User not found");
    return user;
  };

  /** Applies an admin change; a change that revokes keys or disables the user ends its sessions. */
  const change = async (user: UserRow, update: Parameters<typeof store.updateUser>[1], endSessions: boolean): Promise<UserRow> => {
    const updated = await store.updateUser(user.id, update);
    if (!updated) throw invalidArgument("User not found");
    if (endSessions) {
      await c.revocations.revokeUser(user.id);
      c.verifier.revokeUserBefore(user.id, Date.now());
    }
    return updated;
  };

  return {
    async createUser(req, ctx) {
      const admin = await c.callerRow(ctx);
      mayGrant(admin, req.roles);
      const created = await store.createUser(newUserRow(req.userAttributes, req.roles, admin.id, c.now()));
      if (!created) throw invalidArgument("A user with this username or email address already exists");
      return { user: toUserDetail(created) };
    },

    async findUsers(req, ctx) {
      ctx.caller.bot;
      const given = [req.uid, req.email, req.username].filter(Boolean).length;
      if (given !== 1) throw invalidArgument("Exactly one of uid, email or username is required");
      let users: UserRow[];
      let errors: { error: string; email: string; id: string }[] = [];
      if (req.uid) {
        const ids = csv(req.uid, "uids").map((x) => Number(x));
        if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) throw invalidArgument("uid must be a comma-separated list of user ids");
        users = await store.usersBy("id", ids);
        errors = ids.filter((id) => !users.some((u) => u.id === id)).map((id) => ({ error: "invalid.id", email: "", id: String(id) }));
      } else if (req.email) {
        const emails = csv(req.email, "emails");
        users = await store.usersBy("email", emails);
        errors = emails.filter((e) => !users.some((u) => u.email.toLowerCase() === e.toLowerCase())).map((e) => ({ error: "invalid.email", email: e, id: "" }));
      } else {
        const names = csv(req.username, "usernames");
        users = await store.usersBy("username", names);
        errors = names.filter((n) => !users.some((u) => u.username === n)).map((n) => ({ error: "invalid.username", email: "", id: n }));
      }
      if (req.active !== undefined) users = users.filter((u) => (u.status === "ENABLED") === req.active);
      return { users: users.map(toUserV2), errors: users.length > 0 ? errors : [] };
    },

    async findUser(req, ctx) {
      ctx.caller.bot;
      const given = [req.uid, req.email, req.username].filter(Boolean).length;
      if (given !== 1) throw invalidArgument("Exactly one of uid, email or username is required");
      const [user] = req.uid ? await store.usersBy("id", [userIdOf(req.uid, "uid")]) : req.email ? await store.usersBy("email", [req.email]) : await store.usersBy("username", [req.username]);
      return { user: user && toUserV2(user) };
    },

    async searchUsers(req, ctx) {
      ctx.caller.bot;
      const { skip, limit } = page(req.skip, req.limit);
      const text = req.query?.query.trim() ?? "";
      if (!text) throw invalidArgument("query is required");
      if (text.length > 256) throw invalidArgument("query is longer than 256 characters");
      const f = req.query?.filters;
      const { count, users } = await store.searchUsers({ text, accountTypes: f?.accountTypes ?? [], title: f?.title ?? "", company: f?.company ?? "", location: f?.location ?? "", skip, limit });
      return { results: { count, skip, limit, searchQuery: req.query, users: users.map(toUserV2) } };
    },

    async getUserDetail(req, ctx) {
      return { user: toUserDetail(await existingUser(req.uid)) };
    },

    async updateUser(req, ctx) {
      const user = await existingUser(req.uid);
      const { changes, endSessions } = userUpdate(user, req.userAttributes, c.now());
      try {
        return { user: toUserDetail(await change(user, changes, endSessions)) };
      } catch (err) {
        if ((err as { code?: string }).code === "23505") throw invalidArgument("A user with this username or email address already exists");
        throw err;
      }
    },

    async listUserDetails(req, ctx) {
      const { skip, limit } = page(req.skip, req.limit, 100);
      return { users: (await store.listUsers(skip, limit)).map(toUserDetail) };
    },

    async getUserStatus(req, ctx) {
      return { status: { status: (await existingUser(req.uid)).status } };
    },

    async updateUserStatus(req, ctx) {
      const status = req.status?.status;
      if (status !== "ENABLED" && status !== "DISABLED") throw invalidArgument("status must be ENABLED or DISABLED");
      const user = await existingUser(req.uid);
      await change(user, { status, updated_at: c.now() }, status === "DISABLED");
      return { result: { format: "TEXT", message: "OK" } };
    },

    async addUserRole(req, ctx) {
      const admin = await c.callerRow(ctx);
      const role = req.role?.id ?? "";
      mayGrant(admin, [role]);
      if (!ROLES.has(role)) throw invalidArgument("Unknown role");
      const user = await existingUser(req.uid);
      if (!user.roles.includes(role)) await change(user, { roles: [...user.roles, role], updated_at: c.now() }, false);
      return { result: { format: "TEXT", message: "Role added" } };
    },

    async removeUserRole(req, ctx) {
      const role = req.role?.id ?? "";
      const user = await existingUser(req.uid);
      if (!user.roles.includes(role)) throw notFound("The user does not have this role");
      await change(user, { roles: user.roles.filter((r) => r !== role), updated_at: c.now() }, false);
      return { result: { format: "TEXT", message: "Role removed" } };
    },

    async listRoles(_req, ctx) {
      const name = (id: string) => id.toLowerCase().split("_").map((w) => w[0]!.toUpperCase() + w.slice(1)).join(" ");
      return { roles: [...ROLES].map((id) => ({ id, name: name(id), userTypes: ["NORMAL", "SYSTEM"], optionalActions: [] })) };
    },

    async getUsers(req, ctx) {
      ctx.caller.bot;
      if (req.userIds.length > MAX_LOOKUP) throw invalidArgument(`At most ${MAX_LOOKUP} users per call`);
      const rows = await store.usersBy("id", req.userIds.filter((id) => Number.isSafeInteger(id) && id > 0));
      return { users: rows.map(toUserV2) };
    },
  };
}
