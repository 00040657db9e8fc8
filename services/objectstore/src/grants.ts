import { invalidArgument } from "@symphony/kit";
import type { UserPermissions } from "@symphony/proto/objectstore/v1/objectstore_service";
import { MODEL_VERSION, TYPES } from "@symphony/codec";
import type { Grant } from "./store.js";

const MAX_GRANTS = 100;

type Permission = "READ" | "WRITE";

/** userPermissions of an upsert: each user with a non-empty set of the permissions the resource knows. */
export function parseGrants(list: UserPermissions[], allowed: Permission[]): Grant[] {
  if (list.length > MAX_GRANTS) throw invalidArgument(`At most ${MAX_GRANTS} userPermissions per upsert`);
  return list.map((u) => {
    if (!Number.isSafeInteger(u.userId) || u.userId <= 0) throw invalidArgument("userPermissions.userId must be a user id");
    const unknown = u.permissions.find((p) => !allowed.includes(p as Permission));
    if (unknown !== undefined || u.permissions.length === 0) throw invalidArgument(`userPermissions.permissions must hold some of ${allowed.join(", ")}`);
    return { userId: u.userId, read: u.permissions.includes("READ"), write: u.permissions.includes("WRITE") };
  });
}

/** A grant as Allegro lists it (UserPermissionsRequest). */
export const userPermissions = (userId: number, read: boolean, write: boolean): UserPermissions => ({
  type: TYPES.userPermissionsRequest,
  version: MODEL_VERSION,
  userId,
  permissions: [...(read ? ["READ"] : []), ...(write ? ["WRITE"] : [])],
});
