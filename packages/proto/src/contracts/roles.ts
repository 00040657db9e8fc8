import { Role } from "../gen/symphony/api/v1/policy.js";

/** The public API's name of a role: the enum value without its ROLE_ prefix. */
export const roleName = (role: Role): string => Role[role].replace(/^ROLE_/, "");

/** Every role the pod knows, by the public API's names. */
export const ALL_ROLES: readonly string[] = Object.values(Role)
  .filter((r): r is Role => typeof r === "number" && r !== Role.ROLE_UNSPECIFIED && r !== Role.UNRECOGNIZED)
  .map(roleName);

const names = (...roles: Role[]) => roles.map(roleName);

/** Roles that administer users and streams through /pod/.../admin paths. */
export const USER_ADMIN_ROLES = names(Role.ROLE_USER_PROVISIONING, Role.ROLE_SUPER_ADMINISTRATOR, Role.ROLE_ADMINISTRATOR);
/** Roles that administer key custody (rotation of any stream, shred, master keys). */
export const KEY_ADMIN_ROLES = names(Role.ROLE_SUPER_ADMINISTRATOR, Role.ROLE_ADMINISTRATOR);
/** Roles that read the key audit. */
export const KEY_AUDIT_ROLES = [...KEY_ADMIN_ROLES, ...names(Role.ROLE_COMPLIANCE_OFFICER, Role.ROLE_SUPER_COMPLIANCE_OFFICER)];
/** Roles that operate a pod's resources: other users' datafeeds, the object store entitlement. */
export const OPERATOR_ROLES = names(Role.ROLE_SUPER_ADMINISTRATOR, Role.ROLE_USER_PROVISIONING);
/** Roles that suppress messages. */
export const SUPPRESSION_ROLES = [...USER_ADMIN_ROLES, ...names(Role.ROLE_CONTENT_MANAGEMENT)];
