import { invalidArgument } from "@symphony/kit";
import { ALL_ROLES } from "@symphony/proto/contracts";
import type { UserAttributes, UserDetail, UserV2 } from "@symphony/proto/pod/v1/users";
import type { Insertable, Updateable } from "kysely";
import type { UserRow, UsersTable } from "./schema.js";
import { keyChanges, validRsaPublicKey } from "./user-keys.js";

export const ROLES = new Set(ALL_ROLES);
const ACCOUNT_TYPES = new Set(["NORMAL", "SYSTEM", "SDL"]);
const EXTRA_ATTRIBUTES = ["companyName", "department", "division", "title", "location", "jobFunction"] as const;
const MAX_FIELD = 256;

function text(value: string, field: string, required: boolean): string {
  const v = value.trim();
  if (required && v.length === 0) throw invalidArgument(`userAttributes.${field} is required`);
  if (v.length > MAX_FIELD) throw invalidArgument(`userAttributes.${field} is longer than ${MAX_FIELD} characters`);
  return v;
}

export function newUserRow(attrs: UserAttributes | undefined, roles: string[], createdBy: number | null, now: number): Insertable<UsersTable> {
  if (!attrs) throw invalidArgument("userAttributes is required");
  const accountType = attrs.accountType || "NORMAL";
  if (!ACCOUNT_TYPES.has(accountType)) throw invalidArgument("userAttributes.accountType must be NORMAL, SYSTEM or SDL");
  const email = text(attrs.emailAddress, "emailAddress", true);
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw invalidArgument("userAttributes.emailAddress is not an email address");
  const unknownRole = roles.find((r) => !ROLES.has(r));
  if (unknownRole !== undefined) throw invalidArgument(`Unknown role ${JSON.stringify(unknownRole.slice(0, 64))}`);
  if (attrs.currentKey?.action && attrs.currentKey.action !== "SAVE") throw invalidArgument("currentKey.action must be SAVE on creation");
  const extra: Record<string, string> = {};
  for (const k of EXTRA_ATTRIBUTES) {
    const v = text(attrs[k], k, false);
    if (v) extra[k] = v;
  }
  return {
    username: text(attrs.userName, "userName", true),
    email,
    display_name: text(attrs.displayName, "displayName", true),
    first_name: text(attrs.firstName, "firstName", false),
    last_name: text(attrs.lastName, "lastName", false),
    account_type: accountType,
    roles: roles.length > 0 ? [...new Set(roles)] : ["INDIVIDUAL"],
    attributes: JSON.stringify(extra),
    current_key: attrs.currentKey?.key ? validRsaPublicKey(attrs.currentKey.key) : null,
    created_at: now,
    created_by: createdBy,
    updated_at: now,
  };
}

export function toUserV2(u: UserRow): UserV2 {
  return {
    id: u.id,
    emailAddress: u.email,
    firstName: u.first_name,
    lastName: u.last_name,
    displayName: u.display_name,
    title: u.attributes.title ?? "",
    company: u.attributes.companyName ?? "",
    username: u.username,
    location: u.attributes.location ?? "",
    accountType: u.account_type,
    roles: u.roles,
    department: u.attributes.department ?? "",
    division: u.attributes.division ?? "",
    jobFunction: u.attributes.jobFunction ?? "",
  };
}

export function toUserDetail(u: UserRow): UserDetail {
  return {
    userAttributes: {
      emailAddress: u.email,
      firstName: u.first_name,
      lastName: u.last_name,
      userName: u.username,
      displayName: u.display_name,
      companyName: u.attributes.companyName ?? "",
      department: u.attributes.department ?? "",
      division: u.attributes.division ?? "",
      title: u.attributes.title ?? "",
      accountType: u.account_type,
      location: u.attributes.location ?? "",
      jobFunction: u.attributes.jobFunction ?? "",
      currentKey: u.current_key ? { key: u.current_key, action: "SAVE" } : undefined,
      previousKey: u.previous_key ? { key: u.previous_key, expirationDate: u.previous_key_expires_at ?? undefined, action: "SAVE" } : undefined,
    },
    userSystemInfo: {
      id: u.id,
      status: u.status,
      createdDate: u.created_at,
      createdBy: u.created_by === null ? "" : String(u.created_by),
      lastUpdatedDate: u.updated_at,
    },
    roles: u.roles,
    features: [],
    apps: [],
    groups: [],
  };
}

interface UserUpdate {
  changes: Updateable<UsersTable>;
  /** The update revoked a key: every session of the user must end. */
  endSessions: boolean;
}

/** The changes an admin update asks for; empty fields are left as they are. */
export function userUpdate(u: UserRow, attrs: UserAttributes | undefined, now: number): UserUpdate {
  if (!attrs) throw invalidArgument("The user attributes are required");
  const changes: Updateable<UsersTable> = { updated_at: now };
  if (attrs.accountType) {
    if (!ACCOUNT_TYPES.has(attrs.accountType)) throw invalidArgument("accountType must be NORMAL, SYSTEM or SDL");
    changes.account_type = attrs.accountType;
  }
  if (attrs.emailAddress) {
    const email = text(attrs.emailAddress, "emailAddress", true);
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw invalidArgument("emailAddress is not an email address");
    changes.email = email;
  }
  if (attrs.userName) changes.username = text(attrs.userName, "userName", true);
  if (attrs.displayName) changes.display_name = text(attrs.displayName, "displayName", true);
  if (attrs.firstName) changes.first_name = text(attrs.firstName, "firstName", false);
  if (attrs.lastName) changes.last_name = text(attrs.lastName, "lastName", false);
  const extra = { ...u.attributes };
  for (const k of EXTRA_ATTRIBUTES) if (attrs[k]) extra[k] = text(attrs[k], k, false);
  changes.attributes = JSON.stringify(extra);

  const keys = keyChanges(u, attrs.currentKey, attrs.previousKey, now);
  return { changes: { ...changes, ...keys.changes }, endSessions: keys.endSessions };
}
