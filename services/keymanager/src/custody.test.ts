import { randomBytes } from "node:crypto";
import { ConfigError, createLogger, newSymphonyId, openDb, status } from "@symphony/kit";
import { dropSchema, testDatabaseUrl, uniqueName } from "@symphony/kit/testing";
import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyCustody, SHREDDED } from "./custody.js";
import type { MasterKeyRing } from "./master-keys.js";
import { migrations } from "./migrations/index.js";
import type { KeyManagerDatabase } from "./schema.js";
import { KeyStore } from "./store.js";

const schema = uniqueName("test_km_custody");
const logger = createLogger("test", "silent");
const v1 = randomBytes(32);
const v2 = randomBytes(32);
const ring = (entries: [number, Buffer][]): MasterKeyRing => ({ current: Math.max(...entries.map(([v]) => v)), keys: new Map(entries) });
let db: Kysely<KeyManagerDatabase>;
let store: KeyStore;

beforeAll(async () => {
  db = await openDb<KeyManagerDatabase>({ url: testDatabaseUrl(), schema, migrations });
  store = new KeyStore(db);
});

afterAll(async () => {
  await db.destroy();
  await dropSchema(schema);
});

const snapshot = async () => ({
  keys: await db.selectFrom("content_keys").selectAll().orderBy("stream_id").orderBy("rotation_id").execute(),
  checks: await db.selectFrom("master_key_checks").selectAll().orderBy("version").execute(),
});

const byOwner = { user_id: 7, action: "ROTATE" as const, trace_id: "t" };
const onRemoval = { user_id: 8, action: "ROTATE_ON_MEMBERSHIP" as const, trace_id: "" };

describe("key custody", () => {
  let custody: KeyCustody;
  const stream = newSymphonyId();

  it("creates a stream's key on first use and releases the same key afterwards", async () => {
    custody = await KeyCustody.open(store, ring([[1, v1]]), logger);
    const first = await custody.contentKey(stream, undefined);
    expect(first?.rotationId).toBe(1);
    expect(first?.key).toHaveLength(32);
    expect((await custody.contentKey(stream, 1))?.key.equals(first!.key)).toBe(true);
    expect(await custody.contentKey(stream, 9)).toBeUndefined();
    const stored = await store.key(stream, 1);
    expect(stored?.wrapped_key.includes(first!.key)).toBe(false);
  });

  it("rotates: the new rotation becomes current, old rotations still open; concurrent rotations get distinct ids", async () => {
    const r1 = (await custody.contentKey(stream, 1))!.key;
    const ids = await Promise.all([custody.rotate(stream, byOwner), custody.rotate(stream, byOwner), custody.rotate(stream, onRemoval)]);
    expect(new Set(ids).size).toBe(3);
    // Each rotation committed with exactly one audit row, the losers of a race with none.
    const audited = await db.selectFrom("key_audit").select(["rotation_id", "action", "decision", "user_id"]).where("stream_id", "=", stream).orderBy("rotation_id").execute();
    expect(audited.map((a) => a.rotation_id)).toEqual([...ids].sort((a, b) => a - b));
    expect(audited.filter((a) => a.action === "ROTATE_ON_MEMBERSHIP")).toEqual([{ rotation_id: expect.any(Number), action: "ROTATE_ON_MEMBERSHIP", decision: "ROTATED", user_id: 8 }]);
    expect((await custody.contentKey(stream, undefined))?.rotationId).toBe(Math.max(...ids));
    expect((await custody.contentKey(stream, 1))?.key.equals(r1)).toBe(true);
  });

  it("refuses a wrong master key for a known version and writes nothing", async () => {
    const before = await snapshot();
    await expect(KeyCustody.open(store, ring([[1, randomBytes(32)]]), logger)).rejects.toThrow(ConfigError);
    await expect(KeyCustody.open(store, ring([[2, v2]]), logger)).rejects.toThrow(/version\(s\) 1/);
    expect(await snapshot()).toEqual(before);
  });

  it("rotates the master key online: rewraps every content key, which stay the same keys", async () => {
    const before = await Promise.all([1, 2, 3, 4].map(async (r) => (await custody.contentKey(stream, r))!.key));
    await custody.adopt(ring([[1, v1], [2, v2]]));
    await custody.startRewrap();
    expect(await custody.pendingRewrap()).toBe(0);
    expect((await db.selectFrom("content_keys").select("kek_version").distinct().execute()).map((r) => r.kek_version)).toEqual([2]);
    const after = await Promise.all([1, 2, 3, 4].map(async (r) => (await custody.contentKey(stream, r))!.key));
    expect(after.map((k) => k.toString("hex"))).toEqual(before.map((k) => k.toString("hex")));
    // Once nothing is wrapped by version 1, it may be retired.
    const retired = await KeyCustody.open(store, ring([[2, v2]]), logger);
    expect((await retired.contentKey(stream, 1))?.key.equals(before[0]!)).toBe(true);
    custody = retired;
  });

  it("detects a tampered wrapped key or one moved onto another stream", async () => {
    const other = newSymphonyId();
    await custody.contentKey(other, undefined);
    const row = (await store.key(stream, 1))!;
    const tampered = Buffer.from(row.wrapped_key);
    tampered[20]! ^= 1;
    await db.updateTable("content_keys").set({ wrapped_key: tampered }).where("stream_id", "=", stream).where("rotation_id", "=", 1).execute();
    await expect(custody.contentKey(stream, 1)).rejects.toMatchObject({ code: status.DATA_LOSS });
    await db.updateTable("content_keys").set({ wrapped_key: row.wrapped_key }).where("stream_id", "=", other).where("rotation_id", "=", 1).execute();
    await expect(custody.contentKey(other, 1)).rejects.toMatchObject({ code: status.DATA_LOSS });
  });

  it("crypto-shreds: every key of the stream is gone and no new one is ever made", async () => {
    const victim = newSymphonyId();
    await custody.contentKey(victim, undefined);
    await custody.rotate(victim, byOwner);
    expect(await custody.shred(victim, 42)).toBe(2);
    expect(await store.key(victim, 1)).toBeUndefined();
    await expect(custody.contentKey(victim, undefined)).rejects.toMatchObject({ code: status.DATA_LOSS, message: SHREDDED });
    await expect(custody.rotate(victim, byOwner)).rejects.toMatchObject({ code: status.DATA_LOSS });
  });

  it("keeps the audit trail append-only", async () => {
    const before = (await store.auditEntries({ streamId: stream, since: 0, limit: 100 })).length;
    await store.audit({ at: 1, user_id: 1, stream_id: stream, rotation_id: 1, decision: "RELEASED", action: "RELEASE", trace_id: "t" });
    await expect(sql`update key_audit set decision = 'NOT_FOUND'`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from key_audit`.execute(db)).rejects.toThrow(/append-only/);
    expect(await store.auditEntries({ streamId: stream, since: 0, limit: 100 })).toHaveLength(before + 1);
  });
});
