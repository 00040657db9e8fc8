import { createHash, createPublicKey } from "node:crypto";
import { unary } from "@symphony/kit/client";
import { CreateUserRequest, UpdateUserRequest } from "@symphony/proto/pod/v1/pod_service";
import type { UserDetail } from "@symphony/proto/pod/v1/users";
import { optionalCount, readTextFile, requiredString, strings, userId, optionalString, type Command } from "../command.js";
import { fields, table, time } from "../output.js";

/** SHA-256 of the key's SubjectPublicKeyInfo, so operators can compare keys without reading PEM. */
function fingerprint(pem: string | undefined): string | undefined {
  if (!pem) return undefined;
  try {
    return `SHA256:${createHash("sha256").update(createPublicKey(pem).export({ type: "spki", format: "der" })).digest("base64")}`;
  } catch {
    return "unreadable key";
  }
}

function describe(user: UserDetail | undefined): string {
  const a = user?.userAttributes;
  const s = user?.userSystemInfo;
  const previous = a?.previousKey?.key ? `${fingerprint(a.previousKey.key)} (valid until ${time(a.previousKey.expirationDate) ?? "?"})` : undefined;
  return fields([
    ["id", s?.id],
    ["username", a?.userName],
    ["email", a?.emailAddress],
    ["display name", a?.displayName],
    ["account type", a?.accountType],
    ["status", s?.status],
    ["roles", user?.roles.join(", ")],
    ["created", time(s?.createdDate)],
    ["updated", time(s?.lastUpdatedDate)],
    ["current key", fingerprint(a?.currentKey?.key)],
    ["previous key", previous],
  ]);
}

const detailResult = (user: UserDetail | undefined) => ({ json: user, text: describe(user) });

export const usersCreate: Command = {
  path: ["users", "create"],
  synopsis: "--username NAME --email EMAIL --display-name NAME [--public-key FILE] [--role ROLE ...]",
  summary: "create a service account (roles default to INDIVIDUAL)",
  options: {
    username: { type: "string" },
    email: { type: "string" },
    "display-name": { type: "string" },
    "public-key": { type: "string" },
    role: { type: "string", multiple: true },
  },
  async run(input) {
    const keyFile = optionalString(input, "public-key");
    const request = CreateUserRequest.fromPartial({
      userAttributes: {
        accountType: "SYSTEM",
        userName: requiredString(input, "username"),
        emailAddress: requiredString(input, "email"),
        displayName: requiredString(input, "display-name"),
        currentKey: keyFile ? { key: readTextFile(keyFile, "public key"), action: "SAVE" } : undefined,
      },
      roles: strings(input, "role"),
    });
    const { user } = await input.mesh.pod((pod, md) => unary(pod, pod.createUser, request, md));
    return detailResult(user);
  },
};

const setStatus = (status: "ENABLED" | "DISABLED"): Command => ({
  path: ["users", status === "ENABLED" ? "enable" : "disable"],
  synopsis: "ID",
  summary: status === "ENABLED" ? "enable a user" : "disable a user (ends its sessions)",
  args: { min: 1, max: 1 },
  async run({ args, mesh }) {
    const uid = userId(args[0]!);
    await mesh.pod((pod, md) => unary(pod, pod.updateUserStatus, { uid, status: { status } }, md));
    return { json: { id: uid, status }, text: `user ${uid} is ${status}\n` };
  },
});

export const usersDisable = setStatus("DISABLED");
export const usersEnable = setStatus("ENABLED");

export const usersKeysSet: Command = {
  path: ["users", "keys", "set"],
  synopsis: "ID --public-key FILE",
  summary: "register or rotate a user's RSA public key (the old one stays valid for 72 hours)",
  options: { "public-key": { type: "string" } },
  args: { min: 1, max: 1 },
  async run(input) {
    const uid = userId(input.args[0]!);
    const key = readTextFile(requiredString(input, "public-key"), "public key");
    const request = UpdateUserRequest.fromPartial({ uid, userAttributes: { currentKey: { key, action: "SAVE" } } });
    const { user } = await input.mesh.pod((pod, md) => unary(pod, pod.updateUser, request, md));
    return detailResult(user);
  },
};

export const usersShow: Command = {
  path: ["users", "show"],
  synopsis: "ID",
  summary: "a user's details, roles and key fingerprints",
  args: { min: 1, max: 1 },
  async run({ args, mesh }) {
    const uid = userId(args[0]!);
    const { user } = await mesh.pod((pod, md) => unary(pod, pod.getUserDetail, { uid }, md));
    return detailResult(user);
  },
};

export const usersList: Command = {
  path: ["users", "list"],
  synopsis: "[--skip N] [--limit N]",
  summary: "users by id",
  options: { skip: { type: "string" }, limit: { type: "string" } },
  async run(input) {
    const request = { skip: optionalCount(input, "skip") ?? 0, limit: optionalCount(input, "limit") ?? 0 };
    const { users } = await input.mesh.pod((pod, md) => unary(pod, pod.listUserDetails, request, md));
    return {
      json: users,
      text: table(
        ["ID", "USERNAME", "DISPLAY NAME", "EMAIL", "TYPE", "STATUS", "ROLES"],
        users.map((u) => [
          u.userSystemInfo?.id,
          u.userAttributes?.userName,
          u.userAttributes?.displayName,
          u.userAttributes?.emailAddress,
          u.userAttributes?.accountType,
          u.userSystemInfo?.status,
          u.roles.join(","),
        ]),
      ),
    };
  },
};
