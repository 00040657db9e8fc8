import { createCipheriv, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  connectBus,
  createClient,
  createLogger,
  metadataOf,
  newSymphonyId,
  openDb,
  SESSION_AUDIENCE,
  SESSION_TOKEN,
  startGrpcServer,
  status,
  TokenIssuer,
  TokenVerifier,
  unary,
  CallGuard,
  type Bus,
  type RunningServer,
} from "@symphony/kit";
import { meshPki } from "@symphony/kit/pki";
import { dropSchema, testDatabaseUrl, testNatsUrl, uniqueName } from "@symphony/kit/testing";
import {
  ObjectStoreAdminServiceClient,
  ObjectStoreAdminServiceService,
  ObjectStoreServiceClient,
  ObjectStoreServiceService,
} from "@symphony/proto/objectstore/v1/objectstore_service";
import { PodInternalServiceClient, PodInternalServiceService, type PodInternalServiceServer } from "@symphony/proto/pod/v1/pod_internal_service";
import { absoluteHash, hashToBase64, hashToUrlSafe, idHash, namedUserIdObject, TYPES } from "@symphony/sdk/hash";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Entitlements } from "./entitlements.js";
import { DISABLED_MESSAGE } from "./errors.js";
import { ensureObjectsStream, FeedQueues } from "./feeds.js";
import { migrations } from "./migrations/index.js";
import { OutboxRelay } from "./outbox-relay.js";
import { Pods, type TenantPrincipal } from "./pods.js";
import type { ObjectStoreDatabase } from "./schema.js";
import { objectStoreAdminService, objectStoreService } from "./service.js";
import { ObjectStore } from "./store.js";

// Two pods share one object store: each has its own session-token key (a kit TokenIssuer) and
// its own membership answers, served by a real gRPC PodInternalService. The object store is the
// real one over real Postgres and NATS; the same user id and the same object exist in both pods.

const logger = createLogger("test", "silent");
const schema = uniqueName("test_objectstore");
const topology = { streamName: schema.toUpperCase(), subjectPrefix: schema };
const bucket = `${schema.toUpperCase()}_ENTITLEMENTS`;
const USER = 7;
// The pod's operator (its bootstrap admin holds USER_PROVISIONING).
const OPERATOR = 1;
// Each party presents the mesh identity it has in production.
const pki = meshPki(mkdtempSync(join(tmpdir(), "objectstore-tenancy-")));
const tls = { pod: pki.identity("pod"), objectstore: pki.identity("objectstore"), gateway: pki.identity("gateway"), operator: pki.identity("operator") };
const guard = (authenticators = {}) => new CallGuard({ logger, trustDomain: pki.trustDomain, authenticators });

interface FakePod {
  podId: number;
  issuer: TokenIssuer;
  members: Set<string>;
  server: RunningServer;
  client: PodInternalServiceClient;
  token: string;
  operatorToken: string;
  streamId: string;
}

const pods: FakePod[] = [];
let db: Kysely<ObjectStoreDatabase>;
let bus: Bus;
let relay: OutboxRelay;
let objectStore: RunningServer;
let api: ObjectStoreServiceClient;
let admin: ObjectStoreAdminServiceClient;

async function startPod(podId: number): Promise<FakePod> {
  const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const issuer = await TokenIssuer.fromPem(pem, SESSION_AUDIENCE, 3600);
  const members = new Set<string>();
  const server = await startGrpcServer({
    port: 0,
    host: "127.0.0.1",
    tls: tls.pod,
    logger,
    services: [
      {
        name: "symphony.pod.v1.PodInternalService",
        definition: PodInternalServiceService,
        implementation: guard().serve<Pick<PodInternalServiceServer, "getSessionTokenKeys" | "checkMembership" | "getUserRoles">>(PodInternalServiceService, {
          async getSessionTokenKeys() {
            return { jwks: JSON.stringify(issuer.jwks) };
          },
          async getUserRoles(req) {
            return { active: true, roles: req.userId === OPERATOR ? ["USER_PROVISIONING"] : ["INDIVIDUAL"] };
          },
          async checkMembership(req) {
            const member = members.has(`${req.streamId}:${req.userId}`);
            return { member, owner: false, historyFrom: 0 };
          },
        }),
      },
    ],
  });
  const streamId = newSymphonyId();
  members.add(`${streamId}:${USER}`);
  const client = createClient(PodInternalServiceClient, `127.0.0.1:${server.port}`, "pod", tls.objectstore);
  return { podId, issuer, members, server, client, token: await issuer.issue(USER, `bot-of-pod-${podId}`), operatorToken: await issuer.issue(OPERATOR, "admin"), streamId };
}

beforeAll(async () => {
  pods.push(await startPod(1), await startPod(2));
  db = await openDb<ObjectStoreDatabase>({ url: testDatabaseUrl(), schema, migrations });
  const store = new ObjectStore(db);
  bus = await connectBus(testNatsUrl(), "objectstore-test");
  await ensureObjectsStream(bus, topology);
  relay = new OutboxRelay(store, bus, topology, logger);
  relay.start();
  const links = new Pods(
    pods.map((p) => ({
      podId: p.podId,
      internal: p.client,
      sessions: new TokenVerifier(SESSION_AUDIENCE, async () => JSON.parse((await unary(p.client, p.client.getSessionTokenKeys, {})).jwks)),
    })),
  );
  const entitlements = await Entitlements.open(bus, bucket, true, logger);
  const objectStoreGuard = new CallGuard<TenantPrincipal>({ logger, trustDomain: pki.trustDomain, authenticators: { session: (token) => links.authenticate(token), roles: (p) => links.roles(p) } });
  objectStore = await startGrpcServer({
    port: 0,
    host: "127.0.0.1",
    tls: tls.objectstore,
    logger,
    services: [
      {
        name: "symphony.objectstore.v1.ObjectStoreService",
        definition: ObjectStoreServiceService,
        implementation: objectStoreGuard.serve(ObjectStoreServiceService, objectStoreService({ store, pods: links, entitlements, feeds: new FeedQueues(bus, topology), published: () => relay.wake() })),
      },
      { name: "symphony.objectstore.v1.ObjectStoreAdminService", definition: ObjectStoreAdminServiceService, implementation: objectStoreGuard.serve(ObjectStoreAdminServiceService, objectStoreAdminService({ entitlements })) },
    ],
  });
  api = createClient(ObjectStoreServiceClient, `127.0.0.1:${objectStore.port}`, "objectstore", tls.gateway);
  admin = createClient(ObjectStoreAdminServiceClient, `127.0.0.1:${objectStore.port}`, "objectstore", tls.operator);
});

afterAll(async () => {
  api.close();
  admin.close();
  objectStore.server.forceShutdown();
  await relay.stop();
  for (const p of pods) {
    p.client.close();
    p.server.server.forceShutdown();
  }
  await bus.jsm.streams.delete(topology.streamName);
  await bus.jsm.streams.delete(`KV_${bucket}`);
  await bus.close();
  await db.destroy();
  await dropSchema(schema);
});

const as = (token: string) => metadataOf({ [SESSION_TOKEN]: token });

function encrypted(): string {
  const cipher = createCipheriv("aes-256-gcm", randomBytes(32), randomBytes(16));
  const body = Buffer.concat([cipher.update("{}\n"), cipher.final()]);
  return Buffer.concat([randomBytes(32), body, cipher.getAuthTag()]).toString("base64");
}

const calendar = namedUserIdObject(USER, "calendar");
const partitionHash = hashToBase64(idHash(calendar));

/** The same object in both pods: same owner id, partition hash, thread and ciphertext. */
function sharedObject(threadId: string, payload: string) {
  return {
    _type: TYPES.storedApplicationObject,
    cipherSuiteId: "RSA2048_AES256",
    encryptedPayload: payload,
    owner: USER,
    partitionHash,
    rotationId: 0,
    sortKey: "event-1",
    threadId,
  };
}

describe("tenancy", () => {
  it("keeps pods apart though their user ids, partition hashes and objects are the same", async () => {
    const [one, two] = pods as [FakePod, FakePod];
    // Both pods know "the" thread; membership is each pod's own answer.
    two.members.add(`${one.streamId}:${USER}`);
    for (const p of [one, two]) await unary(api, api.upsertPartition, { partitionId: calendar, userPermissions: [] }, as(p.token));
    const object = sharedObject(one.streamId, encrypted());
    const hash = hashToUrlSafe(absoluteHash(object));

    await unary(api, api.storeObject, { objectHash: hash, object }, as(one.token));
    await expect(unary(api, api.getObject, { objectHash: hash, currentVersion: false }, as(two.token))).rejects.toMatchObject({ code: status.NOT_FOUND });
    const emptyPage = await unary(api, api.listPartitionObjects, { partitionHash: hashToUrlSafe(idHash(calendar)), after: "", sortKeyPrefix: "", sortKeyMin: "", sortKeyMax: "" }, as(two.token));
    expect(emptyPage.data).toEqual([]);

    // The identical object is new to pod 2, and pod 2's update of it leaves pod 1's untouched.
    await unary(api, api.storeObject, { objectHash: hash, object }, as(two.token));
    const update = { ...object, baseHash: hashToBase64(absoluteHash(object)), prevHash: hashToBase64(absoluteHash(object)), encryptedPayload: encrypted() };
    await unary(api, api.storeObject, { objectHash: hashToUrlSafe(absoluteHash(update)), object: update }, as(two.token));
    expect((await unary(api, api.getObject, { objectHash: hash, currentVersion: true }, as(one.token))).object).toEqual(object);
    expect((await unary(api, api.getObject, { objectHash: hash, currentVersion: true }, as(two.token))).object).toEqual(update);
    await expect(unary(api, api.getObject, { objectHash: hashToUrlSafe(absoluteHash(update)), currentVersion: false }, as(one.token))).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it("asks the caller's own pod about thread membership", async () => {
    const [one, two] = pods as [FakePod, FakePod];
    const partition = namedUserIdObject(USER, "membership");
    await unary(api, api.upsertPartition, { partitionId: partition, userPermissions: [] }, as(two.token));
    // Pod 1's thread is unknown to pod 2 (its pod answers "not a member").
    const object = { ...sharedObject(one.streamId, encrypted()), partitionHash: hashToBase64(idHash(partition)) };
    two.members.delete(`${one.streamId}:${USER}`);
    await expect(unary(api, api.storeObject, { objectHash: hashToUrlSafe(absoluteHash(object)), object }, as(two.token))).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    const own = { ...object, threadId: two.streamId };
    await unary(api, api.storeObject, { objectHash: hashToUrlSafe(absoluteHash(own)), object: own }, as(two.token));
  });

  it("refuses a token no served pod signed", async () => {
    const stranger = await TokenIssuer.fromPem(generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString(), SESSION_AUDIENCE, 60);
    await expect(unary(api, api.getEntitlement, {}, as(await stranger.issue(USER, "x")))).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(unary(api, api.getEntitlement, {}, metadataOf({}))).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it("delivers a pod's writes only to that pod's feeds", async () => {
    const [one, two] = pods as [FakePod, FakePod];
    const feedId = namedUserIdObject(USER, "feed");
    for (const p of [one, two]) await unary(api, api.upsertFeed, { feedId, partitionSelections: [{ partitionHash, sortKeyPrefix: "" }], partitionHashes: [], userPermissions: [] }, as(p.token));
    const object = { ...sharedObject(two.streamId, encrypted()), sortKey: "feed-item" };
    two.members.add(`${two.streamId}:${USER}`);
    await unary(api, api.storeObject, { objectHash: hashToUrlSafe(absoluteHash(object)), object }, as(two.token));
    const feedHash = hashToUrlSafe(idHash(feedId));
    const read = (p: FakePod, waitTimeSeconds: number) => unary(api, api.readFeed, { feedHash, waitTimeSeconds, delete: [], extend: [] }, as(p.token));
    expect((await read(two, 20)).objects.map((o) => o.payload)).toEqual([object]);
    expect((await read(one, 2)).objects).toEqual([]);
  });

  it("applies each pod's entitlement at run time, in every replica", async () => {
    const [one, two] = pods as [FakePod, FakePod];
    const replica = await Entitlements.open(bus, bucket, true, logger);
    // Only the pod's own operator decides: not its other users, not another pod's operator.
    for (const token of [two.token, one.operatorToken]) {
      await expect(unary(admin, admin.setEntitlement, { podId: two.podId, enabled: false }, as(token))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    }
    await expect(unary(admin, admin.setEntitlement, { podId: two.podId, enabled: false })).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await unary(admin, admin.setEntitlement, { podId: two.podId, enabled: false }, as(two.operatorToken));
    await expect(unary(api, api.getPartition, { partitionHash }, as(two.token))).rejects.toMatchObject({ code: status.PERMISSION_DENIED, details: DISABLED_MESSAGE });
    await expect(unary(api, api.getEntitlement, {}, as(two.token))).resolves.toEqual({ enabled: false });
    await unary(api, api.getPartition, { partitionHash }, as(one.token));
    await vi.waitFor(() => expect(replica.enabled(two.podId)).toBe(false));

    await unary(admin, admin.setEntitlement, { podId: two.podId, enabled: true }, as(two.operatorToken));
    await unary(api, api.getPartition, { partitionHash }, as(two.token));
    await vi.waitFor(() => expect(replica.enabled(two.podId)).toBe(true));
    // Pods the bucket does not name get the configured default.
    const closedByDefault = await Entitlements.open(bus, bucket, false, logger);
    expect(closedByDefault.enabled(two.podId)).toBe(true);
    expect(closedByDefault.enabled(99)).toBe(false);
  });
});
