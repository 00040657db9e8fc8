import { generateKeyPairSync } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { status } from "@symphony/kit";
import { CreateUserRequest, UpdateUserRequest } from "@symphony/proto/pod/v1/pod_service";
import { importPKCS8, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authHandlers } from "./auth-handlers.js";
import type { UserRow } from "./schema.js";
import { podFixture, type PodFixture } from "./test-fixture.js";
import { userAdminHandlers } from "./user-admin-handlers.js";

let f: PodFixture;
let admin: ReturnType<typeof userAdminHandlers>;
let provisioner: UserRow;

const HOUR = 3_600_000;

beforeAll(async () => {
  f = await podFixture("test_pod_user_admin");
  admin = userAdminHandlers(f.c);
  provisioner = await f.user({ roles: ["USER_PROVISIONING"], account_type: "SYSTEM" });
});
afterAll(() => f.close());

function rsaKey() {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(), privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

/** Whether a login JWT signed with this private key buys the user a session now. */
async function logsIn(user: UserRow, privatePem: string): Promise<boolean> {
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: "RS512" })
    .setSubject(user.username)
    .setExpirationTime(Math.floor(Date.now() / 1000) + 240)
    .sign(await importPKCS8(privatePem, "RS512"));
  return authHandlers(f.c).authenticate({ token: jwt }, await f.as(user)).then(
    () => true,
    () => false,
  );
}

const updateKeys = async (user: UserRow, keys: { currentKey?: { key?: string; action: string }; previousKey?: { action: string; expirationDate?: number } }) =>
  admin.updateUser(UpdateUserRequest.fromPartial({ uid: user.id, userAttributes: keys }), await f.as(provisioner));

describe("user admin handlers", () => {
  it("let only a super administrator grant SUPER_ADMINISTRATOR", async () => {
    const attrs = (name: string) => ({ userName: name, emailAddress: `${name}@example.com`, displayName: name });
    const grant = CreateUserRequest.fromPartial({ userAttributes: attrs("climber"), roles: ["SUPER_ADMINISTRATOR"] });
    await expect(admin.createUser(grant, await f.as(provisioner))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const target = await f.user();
    await expect(admin.addUserRole({ uid: target.id, role: { id: "SUPER_ADMINISTRATOR" } }, await f.as(provisioner))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const superAdmin = await f.user({ roles: ["SUPER_ADMINISTRATOR"] });
    const created = await admin.createUser(grant, await f.as(superAdmin));
    expect(created.user).toMatchObject({ roles: ["SUPER_ADMINISTRATOR"], userSystemInfo: { createdBy: String(superAdmin.id) } });
    await expect(admin.createUser(grant, await f.as(superAdmin))).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      message: "A user with this username or email address already exists",
    });
  });

  it("add known roles and remove held ones only", async () => {
    const target = await f.user();
    await expect(admin.addUserRole({ uid: target.id, role: { id: "WIZARD" } }, await f.as(provisioner))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await admin.addUserRole({ uid: target.id, role: { id: "L1_SUPPORT" } }, await f.as(provisioner));
    await admin.addUserRole({ uid: target.id, role: { id: "L1_SUPPORT" } }, await f.as(provisioner));
    expect((await f.stores.users.byId(target.id))?.roles).toEqual(["INDIVIDUAL", "L1_SUPPORT"]);
    await admin.removeUserRole({ uid: target.id, role: { id: "L1_SUPPORT" } }, await f.as(provisioner));
    await expect(admin.removeUserRole({ uid: target.id, role: { id: "L1_SUPPORT" } }, await f.as(provisioner))).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it("keep a replaced key valid for 72 hours, and refuse a third key while both are valid", async () => {
    const [first, second, third] = [rsaKey(), rsaKey(), rsaKey()];
    const bot = await f.user({ current_key: first.publicPem });
    await updateKeys(bot, { currentKey: { key: second.publicPem, action: "SAVE" } });
    expect(await logsIn(bot, first.privatePem)).toBe(true);
    expect(await logsIn(bot, second.privatePem)).toBe(true);
    await expect(updateKeys(bot, { currentKey: { key: third.publicPem, action: "SAVE" } })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(updateKeys(bot, { previousKey: { action: "EXTEND", expirationDate: f.clock.now + 73 * HOUR } })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    f.clock.now += 72 * HOUR + 1;
    try {
      expect(await logsIn(bot, first.privatePem)).toBe(false);
      await updateKeys(bot, { currentKey: { key: third.publicPem, action: "SAVE" } });
      expect(await logsIn(bot, third.privatePem)).toBe(true);
    } finally {
      f.clock.now -= 72 * HOUR + 1;
    }
  });

  it("end every session of the user when a key is revoked or the user is disabled", async () => {
    const key = rsaKey();
    const [bot, other] = [await f.user({ current_key: key.publicPem }), await f.user()];
    const token = await f.sessions.issue(bot.id, bot.username);
    const otherToken = await f.sessions.issue(other.id, other.username);
    await sleep(2);
    await updateKeys(bot, { currentKey: { action: "REVOKE" } });
    await expect(f.verifier.verify(token)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    expect(await logsIn(bot, key.privatePem)).toBe(false);
    await expect(updateKeys(bot, { currentKey: { action: "REVOKE" } })).rejects.toMatchObject({ message: "There is no current key to revoke" });
    await admin.updateUserStatus({ uid: other.id, status: { status: "DISABLED" } }, await f.as(provisioner));
    await expect(f.verifier.verify(otherToken)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it("refuse an update that takes another user's username", async () => {
    const [a, b] = [await f.user(), await f.user()];
    await expect(admin.updateUser(UpdateUserRequest.fromPartial({ uid: a.id, userAttributes: { userName: b.username } }), await f.as(provisioner))).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      message: "A user with this username or email address already exists",
    });
  });
});
