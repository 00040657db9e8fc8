import { privateDecrypt, constants, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { unary } from "@symphony/kit";
import { describe, expect, it } from "vitest";
import { authHeaders, mesh, newBot, newRoom, raw } from "./harness.js";
import { addMasterKeyVersion, contentKey, km, kmMetadata, natsStreamContains, query, storedRotation } from "./km.js";

const PML = (inner: string) => `<div data-format="PresentationML" data-version="2.0">${inner}</div>`;

describe("stream key rotation", () => {
  it("owners rotate; new messages use the new rotation and old ones still decrypt", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const roomId = await newRoom(alice.bot, [bob]);
    const before = await alice.bot.sendMessage(roomId, "<messageML>before</messageML>");
    expect(await storedRotation(before.messageId)).toBe(1);

    const rotated = await raw("POST", `/relay/v1/streams/${roomId}/keys/rotate`, { headers: { keyManagerToken: alice.bot.keyManagerToken }, json: {} });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ streamId: roomId, rotationId: 2 });

    const after = await alice.bot.sendMessage(roomId, "<messageML>after</messageML>");
    expect(await storedRotation(after.messageId)).toBe(2);
    expect((await bob.bot.messages(roomId)).map((m) => m.message)).toEqual([PML("before"), PML("after")]);
  });

  it("refuses members who are not owners, and outsiders", async () => {
    const alice = await newBot();
    const bob = await newBot();
    const eve = await newBot();
    const roomId = await newRoom(alice.bot, [bob]);
    for (const who of [bob, eve]) {
      const res = await raw("POST", `/relay/v1/streams/${roomId}/keys/rotate`, { headers: { keyManagerToken: who.bot.keyManagerToken }, json: {} });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ code: 403, message: expect.any(String) });
    }
    expect((await raw("POST", `/relay/v1/streams/${roomId}/keys/rotate`, { json: {} })).status).toBe(401);
  });
});

describe("release rules", () => {
  it("a removed member is refused at once, and the stream key rotates", async () => {
    const alice = await newBot();
    const bob = await newBot();
    const roomId = await newRoom(alice.bot, [bob]);
    await bob.bot.sendMessage(roomId, "<messageML>hello</messageML>");
    expect((await contentKey(bob.bot, roomId)).rotationId).toBe(1);

    const removed = await raw("POST", `/pod/v1/room/${roomId}/membership/remove`, { headers: { sessionToken: alice.bot.sessionToken }, json: { id: bob.userId } });
    expect(removed.body).toEqual({ format: "TEXT", message: "Member removed" });

    expect((await raw("GET", `/agent/v4/stream/${roomId}/message?since=0`, { headers: authHeaders(bob.bot) })).status).toBe(403);
    const form = new FormData();
    form.set("message", "<messageML>still here?</messageML>");
    expect((await raw("POST", `/agent/v4/stream/${roomId}/message/create`, { headers: authHeaders(bob.bot), body: form })).status).toBe(403);
    await expect(contentKey(bob.bot, roomId)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(contentKey(bob.bot, roomId, 1)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect.poll(async () => (await contentKey(alice.bot, roomId)).rotationId, { timeout: 5_000 }).toBe(2);
  });

  it("a revoked key manager token is refused on the very next request", async () => {
    const alice = await newBot();
    const roomId = await newRoom(alice.bot);
    await alice.bot.sendMessage(roomId, "<messageML>warm the cache</messageML>");
    const out = await raw("POST", "/relay/v1/logout", { headers: { keyManagerToken: alice.bot.keyManagerToken }, json: {} });
    expect(out.status).toBe(200);
    const res = await raw("GET", `/agent/v4/stream/${roomId}/message?since=0`, { headers: authHeaders(alice.bot) });
    expect(res.status).toBe(401);
    await expect(contentKey(alice.bot, roomId)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it("delivers the stream key wrapped to the caller's RSA key (RSA-OAEP-256)", async () => {
    const alice = await newBot();
    const roomId = await newRoom(alice.bot);
    const plain = await contentKey(alice.bot, roomId);
    const wrapped = await unary(km(), km().getWrappedContentKey, { streamId: roomId }, kmMetadata(alice.bot));
    expect(wrapped.rotationId).toBe(plain.rotationId);
    const unwrapped = privateDecrypt({ key: alice.privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, wrapped.wrappedKey);
    expect(unwrapped.equals(Buffer.from(plain.key))).toBe(true);
    const eve = await newBot();
    await expect(unary(km(), km().getWrappedContentKey, { streamId: roomId }, kmMetadata(eve.bot))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  });
});

describe("crypto-shred", () => {
  it("an administrator destroys a stream's keys; its messages then answer 400, never 500", async () => {
    const admin = await newBot("secadmin", ["ADMINISTRATOR"]);
    const alice = await newBot();
    const roomId = await newRoom(alice.bot);
    const sent = await alice.bot.sendMessage(roomId, "<messageML>soon unreadable</messageML>");

    const denied = await raw("DELETE", `/relay/v1/admin/streams/${roomId}/keys`, { headers: { keyManagerToken: alice.bot.keyManagerToken } });
    expect(denied.status).toBe(403);

    const shred = await raw("DELETE", `/relay/v1/admin/streams/${roomId}/keys`, { headers: { keyManagerToken: admin.bot.keyManagerToken } });
    expect(shred.status).toBe(200);
    expect(shred.body).toEqual({ streamId: roomId, destroyedRotations: 1 });

    // A fresh reader has no cached key; the author's cache was dropped by the shred notice.
    for (const path of [`/agent/v4/stream/${roomId}/message?since=0`, `/agent/v1/message/${sent.messageId}`]) {
      await expect.poll(async () => (await raw("GET", path, { headers: authHeaders(alice.bot) })).status, { timeout: 5_000 }).toBe(400);
      const res = await raw("GET", path, { headers: authHeaders(alice.bot) });
      expect(res.body).toEqual({ code: 400, message: expect.stringContaining("destroyed") });
    }
    const form = new FormData();
    form.set("message", "<messageML>new</messageML>");
    expect((await raw("POST", `/agent/v4/stream/${roomId}/message/create`, { headers: authHeaders(alice.bot), body: form })).status).toBe(400);
  });
});

describe("audit", () => {
  it("records every release and refusal with principal, stream, rotation, decision and trace id", async () => {
    const auditor = await newBot("auditor", ["COMPLIANCE_OFFICER"]);
    const alice = await newBot();
    const eve = await newBot();
    const roomId = await newRoom(alice.bot);
    const traceId = `trace${randomBytes(6).toString("hex")}`;
    const form = new FormData();
    form.set("message", "<messageML>audited</messageML>");
    expect((await raw("POST", `/agent/v4/stream/${roomId}/message/create`, { headers: { ...authHeaders(alice.bot), "X-Trace-Id": traceId }, body: form })).status).toBe(200);
    await expect(contentKey(eve.bot, roomId)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });

    const res = await raw("GET", `/relay/v1/admin/audit?streamId=${roomId}`, { headers: { keyManagerToken: auditor.bot.keyManagerToken } });
    expect(res.status).toBe(200);
    const entries = res.body as { userId: number; decision: string; rotationId?: number; traceId: string; action: string }[];
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: eve.userId, decision: "DENIED_NOT_MEMBER", action: "RELEASE" }),
        expect.objectContaining({ userId: alice.userId, decision: "RELEASED", rotationId: 1, traceId }),
      ]),
    );
    expect((await raw("GET", `/relay/v1/admin/audit?streamId=${roomId}`, { headers: { keyManagerToken: alice.bot.keyManagerToken } })).status).toBe(403);
  });
});

describe("master key rotation", () => {
  it("a new master key version is adopted online and every content key is rewrapped; old messages still decrypt", async () => {
    const admin = await newBot("kekadmin", ["ADMINISTRATOR"]);
    const alice = await newBot();
    const roomId = await newRoom(alice.bot);
    await alice.bot.sendMessage(roomId, "<messageML>under the old master key</messageML>");

    const version = await addMasterKeyVersion();
    const reloaded = await unary(km(), km().reloadMasterKeys, {}, kmMetadata(admin.bot));
    expect(reloaded.currentVersion).toBeGreaterThanOrEqual(version);
    await expect
      .poll(async () => (await raw("GET", "/relay/v1/admin/masterkey", { headers: { keyManagerToken: admin.bot.keyManagerToken } })).body, { timeout: 10_000 })
      .toMatchObject({ currentVersion: reloaded.currentVersion, pendingRewrap: 0 });
    const versions = await query<{ kek_version: number }>(`select distinct kek_version from "${mesh().schemaPrefix}_keymanager".content_keys`);
    expect(versions).toEqual([{ kek_version: reloaded.currentVersion }]);

    const bob = await newBot();
    await raw("POST", `/pod/v1/room/${roomId}/membership/add`, { headers: { sessionToken: alice.bot.sessionToken }, json: { id: bob.userId } });
    expect((await bob.bot.messages(roomId)).map((m) => m.message)).toEqual([PML("under the old master key")]);
  });
});

describe("secrets stay secret", () => {
  it("a plaintext canary and the raw content keys appear nowhere in Postgres, NATS or the logs", async () => {
    const alice = await newBot();
    const roomId = await newRoom(alice.bot);
    const canary = `KEYCANARY${randomBytes(8).toString("hex")}`;
    await alice.bot.sendMessage(roomId, `<messageML>${canary}</messageML>`);
    await raw("POST", `/relay/v1/streams/${roomId}/keys/rotate`, { headers: { keyManagerToken: alice.bot.keyManagerToken }, json: {} });
    const keys = await Promise.all([1, 2].map(async (r) => Buffer.from((await contentKey(alice.bot, roomId, r)).key)));
    const needles = [canary, ...keys.flatMap((k) => [k.toString("hex"), k.toString("base64")])];

    const tables = await query<{ table_schema: string; table_name: string }>(
      "select table_schema, table_name from information_schema.tables where table_schema like $1",
      [`${mesh().schemaPrefix}\\_%`],
    );
    for (const t of tables) {
      for (const needle of needles) {
        const [row] = await query<{ n: string }>(`select count(*) as n from "${t.table_schema}"."${t.table_name}" r where position($1 in r::text) > 0`, [needle]);
        expect(Number(row!.n), `${needle.slice(0, 12)} in ${t.table_name}`).toBe(0);
      }
      for (const key of keys) {
        const [row] = await query<{ n: string }>(`select count(*) as n from "${t.table_schema}"."${t.table_name}" r where position($1 in r::text) > 0`, [`\\x${key.toString("hex")}`]);
        expect(Number(row!.n)).toBe(0);
      }
    }
    for (const file of readdirSync(mesh().logDir)) {
      const log = readFileSync(join(mesh().logDir, file), "utf8");
      for (const needle of needles) expect(log.includes(needle), `${file}`).toBe(false);
    }
    for (const needle of [Buffer.from(canary), ...keys]) expect(await natsStreamContains(needle)).toBe(0);
  });

  it("ciphertext swapped between stored messages is detected and shows nobody the other message", async () => {
    const alice = await newBot();
    const roomA = await newRoom(alice.bot);
    const roomB = await newRoom(alice.bot);
    const a1 = await alice.bot.sendMessage(roomA, "<messageML>first in A</messageML>");
    const a2 = await alice.bot.sendMessage(roomA, "<messageML>second in A</messageML>");
    const b1 = await alice.bot.sendMessage(roomB, "<messageML>first in B</messageML>");
    const table = `"${mesh().schemaPrefix}_pod".messages`;
    await query(`update ${table} set ciphertext = (select ciphertext from ${table} where id = $2) where id = $1`, [a2.messageId, a1.messageId]);
    await query(`update ${table} set ciphertext = (select ciphertext from ${table} where id = $2) where id = $1`, [b1.messageId, a1.messageId]);
    for (const [roomId, swapped] of [[roomA, a2.messageId], [roomB, b1.messageId]] as const) {
      const res = await raw("GET", `/agent/v4/stream/${roomId}/message?since=0`, { headers: authHeaders(alice.bot) });
      expect(res.status).toBe(200);
      const bad = (res.body as { messageId: string; message: string; diagnostic?: string }[]).find((m) => m.messageId === swapped)!;
      expect(bad.diagnostic).toBe("Message could not be decrypted");
      expect(bad.message).toBe(PML(""));
    }
  });
});
