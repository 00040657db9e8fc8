import { randomBytes } from "node:crypto";
import { newSymphonyId, openDb, status } from "@symphony/kit";
import { dropSchema, testDatabaseUrl, uniqueName } from "@symphony/kit/testing";
import { hashToBase64, idHash, namedUserIdObject, TYPES } from "@symphony/codec";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrations } from "./migrations/index.js";
import { parseObject } from "./objects.js";
import type { ObjectStoreDatabase } from "./schema.js";
import { ObjectStore } from "./store.js";

const schema = uniqueName("test_objectstore_store");
const POD = 1;
const partition = namedUserIdObject(3, "store-test");
let db: Kysely<ObjectStoreDatabase>;
let store: ObjectStore;

beforeAll(async () => {
  db = await openDb<ObjectStoreDatabase>({ url: testDatabaseUrl(), schema, migrations });
  store = new ObjectStore(db);
});

afterAll(async () => {
  await db.destroy();
  await dropSchema(schema);
});

const object = (sortKey: string, extra: Record<string, string> = {}) => ({
  _type: TYPES.storedApplicationObject,
  cipherSuiteId: "RSA2048_AES256",
  encryptedPayload: randomBytes(64).toString("base64"),
  owner: 3,
  partitionHash: hashToBase64(idHash(partition)),
  rotationId: 0,
  sortKey,
  threadId: newSymphonyId(),
  ...extra,
});

describe("object store writes", () => {
  it("let exactly one of two concurrent updates of the same version win", async () => {
    const v1 = object("race");
    const parsed = parseObject(v1);
    await store.write(POD, [parsed], Date.now());
    const prev = hashToBase64(parsed.absoluteHash);
    const updates = Array.from({ length: 4 }, () => parseObject({ ...v1, baseHash: prev, prevHash: prev, encryptedPayload: randomBytes(64).toString("base64") }));
    const outcomes = await Promise.allSettled(updates.map((u) => store.write(POD, [u], Date.now())));
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    for (const o of outcomes) if (o.status === "rejected") expect(o.reason).toMatchObject({ code: status.ALREADY_EXISTS });
    const head = await store.head(POD, parsed.absoluteHash);
    expect(updates.some((u) => u.absoluteHash.equals(head!.absolute_hash))).toBe(true);
  });

  it("hide versions past their purgeDate and purge them with their listing rows", async () => {
    const now = Date.now();
    const expired = parseObject(object("expired", { purgeDate: new Date(now - 1000).toISOString() }));
    const alive = parseObject(object("alive", { purgeDate: new Date(now + 3_600_000).toISOString() }));
    await store.write(POD, [expired, alive], now);
    expect(await store.object(POD, expired.absoluteHash, now)).toBeUndefined();
    expect(await store.currentObject(POD, expired.partitionHash, "expired", now)).toBeUndefined();
    expect(await store.object(POD, alive.absoluteHash, now)).toBeDefined();

    expect(await store.purgeExpired(now)).toBe(1);
    expect(await store.head(POD, expired.absoluteHash)).toBeUndefined();
    expect(await db.selectFrom("current_objects").select("sort_key").where("sort_key", "=", "expired").execute()).toEqual([]);
    expect(await store.head(POD, alive.absoluteHash)).toBeDefined();
  });
});
