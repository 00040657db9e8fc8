import { invalidArgument, notFound, permissionDenied, type UnaryHandlers } from "@symphony/kit";
import { Role, roleName } from "@symphony/proto/contracts";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import type { Updateable } from "kysely";
import type { PodContext } from "./context.js";
import { page, userIdOf } from "./request-fields.js";
import type { UserRow, UsersTable } from "./schema.js";
import { isUniqueViolation } from "./sql.js";
import { newUserRow, ROLES, toUserDetail, userUpdate } from "./users.js";

type UserAdminHandlers = Pick<
  UnaryHandlers<PodServiceServer>,
  "createUser" | "getUserDetail" | "updateUser" | "listUserDetails" | "getUserStatus" | "updateUserStatus" | "addUserRole" | "removeUserRole" | "listRoles"
>;

// Only a super administrator makes another one: user provisioning must not be a way up.
const SUPER_ADMIN = roleName(Role.ROLE_SUPER_ADMINISTRATOR);

function mayGrant(caller: UserRow, roles: string[]): void {
  if (roles.includes(SUPER_ADMIN) && !caller.roles.includes(SUPER_ADMIN)) throw permissionDenied("Only a super administrator can grant SUPER_ADMINISTRATOR");
}

const roleLabel = (id: string) => id.toLowerCase().split("_").map((w) => w[0]!.toUpperCase() + w.slice(1)).join(" ");

/** Accounts as administrators manage them (/pod/.../admin/user/...); the call policies require an admin role. */
export function userAdminHandlers(c: PodContext): UserAdminHandlers {
  const { users } = c.stores;

  const existingUser = async (uid: number): Promise<UserRow> => {
    const user = await users.byId(userIdOf(uid, "uid"));
    if (!user) throw invalidArgument("User not found");
    return user;
  };

  /** Applies an admin change; a change that revokes keys or disables the user ends its sessions. */
  const change = async (user: UserRow, update: Updateable<UsersTable>, endSessions: boolean): Promise<UserRow> => {
    const updated = await users.update(user.id, update);
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
      const created = await users.create(newUserRow(req.userAttributes, req.roles, admin.id, c.now()));
      if (!created) throw invalidArgument("A user with this username or email address already exists");
      return { user: toUserDetail(created) };
    },

    async getUserDetail(req) {
      return { user: toUserDetail(await existingUser(req.uid)) };
    },

    async updateUser(req) {
      const user = await existingUser(req.uid);
      const { changes, endSessions } = userUpdate(user, req.userAttributes, c.now());
      try {
        return { user: toUserDetail(await change(user, changes, endSessions)) };
      } catch (err) {
        if (isUniqueViolation(err)) throw invalidArgument("A user with this username or email address already exists");
        throw err;
      }
    },

    async listUserDetails(req) {
      const { skip, limit } = page(req.skip, req.limit, 100);
      return { users: (await users.list(skip, limit)).map(toUserDetail) };
    },

    async getUserStatus(req) {
      return { status: { status: (await existingUser(req.uid)).status } };
    },

    async updateUserStatus(req) {
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

    async removeUserRole(req) {
      const role = req.role?.id ?? "";
      const user = await existingUser(req.uid);
      if (!user.roles.includes(role)) throw notFound("The user does not have this role");
      await change(user, { roles: user.roles.filter((r) => r !== role), updated_at: c.now() }, false);
      return { result: { format: "TEXT", message: "Role removed" } };
    },

    async listRoles() {
      return { roles: [...ROLES].map((id) => ({ id, name: roleLabel(id), userTypes: ["NORMAL", "SYSTEM"], optionalActions: [] })) };
    },
  };
}
