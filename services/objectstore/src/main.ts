import {
  connectBus,
  createClient,
  createLogger,
  env,
  loadConfig,
  natsAccessFromEnv,
  MIGRATE_MODES,
  onShutdown,
  openDb,
  RevocationList,
  SESSION_AUDIENCE,
  startGrpcServer,
  TokenVerifier,
  unary,
  unaryService,
} from "@symphony/kit";
import { ObjectStoreAdminServiceService, ObjectStoreServiceService } from "@symphony/proto/objectstore/v1/objectstore_service";
import { PodInternalServiceClient } from "@symphony/proto/pod/v1/pod_internal_service";
import { Entitlements } from "./entitlements.js";
import { ensureObjectsStream, FeedQueues } from "./feeds.js";
import { migrations } from "./migrations/index.js";
import { OutboxRelay } from "./outbox-relay.js";
import { Pods } from "./pods.js";
import type { ObjectStoreDatabase } from "./schema.js";
import { objectStoreAdminService, objectStoreService } from "./service.js";
import { ObjectStore } from "./store.js";

const PURGE_INTERVAL_MS = 60_000;

const config = loadConfig({
  port: env.port("GRPC_PORT", 9104),
  databaseUrl: env.url("DATABASE_URL"),
  schema: env.string("DB_SCHEMA", "objectstore"),
  migrate: env.oneOf("DB_MIGRATE", MIGRATE_MODES, "auto"),
  natsUrl: env.string("NATS_URL", "nats://127.0.0.1:4222"),
  subjectPrefix: env.string("SUBJECT_PREFIX", "symphony"),
  objectsStream: env.string("OBJECTS_STREAM", "SYMPHONY_OBJECTS"),
  entitlementsBucket: env.string("ENTITLEMENTS_BUCKET", "SYMPHONY_OBJECTSTORE_ENTITLEMENTS"),
  revocationsBucket: env.string("REVOCATIONS_BUCKET", "SYMPHONY_REVOKED_TOKENS"),
  podAddr: env.address("POD_ADDR", "127.0.0.1:9101"),
  // The tenant of every session token the pod at POD_ADDR signs.
  podId: env.positiveInt("POD_ID", 1),
  enabledByDefault: env.boolean("OBJECTSTORE_ENABLED", true),
});
const logger = createLogger("objectstore");

const db = await openDb<ObjectStoreDatabase>({ url: config.databaseUrl, schema: config.schema, migrate: config.migrate, migrations });
const store = new ObjectStore(db);
const bus = await connectBus(config.natsUrl, "objectstore", natsAccessFromEnv());
const topology = { streamName: config.objectsStream, subjectPrefix: config.subjectPrefix };
await ensureObjectsStream(bus, topology);
const relay = new OutboxRelay(store, bus, topology, logger);
relay.start();
const purge = setInterval(() => {
  store.purgeExpired(Date.now()).catch((err: unknown) => logger.warn({ err }, "purging expired objects failed"));
}, PURGE_INTERVAL_MS);

const podInternal = createClient(PodInternalServiceClient, config.podAddr);
const sessions = new TokenVerifier(SESSION_AUDIENCE, async () => JSON.parse((await unary(podInternal, podInternal.getSessionTokenKeys, {})).jwks));
await (await RevocationList.open(bus, config.revocationsBucket)).follow(sessions, logger);
const pods = new Pods([{ podId: config.podId, sessions, internal: podInternal }]);
const entitlements = await Entitlements.open(bus, config.entitlementsBucket, config.enabledByDefault, logger);

const server = await startGrpcServer({
  port: config.port,
  logger,
  services: [
    {
      name: "symphony.objectstore.v1.ObjectStoreService",
      definition: ObjectStoreServiceService,
      implementation: unaryService(
        logger,
        objectStoreService({ store, pods, entitlements, feeds: new FeedQueues(bus, topology), published: () => relay.wake() }),
      ),
    },
    {
      name: "symphony.objectstore.v1.ObjectStoreAdminService",
      definition: ObjectStoreAdminServiceService,
      implementation: unaryService(logger, objectStoreAdminService({ entitlements, pods })),
    },
  ],
});

onShutdown(logger, async () => {
  await server.drain();
  clearInterval(purge);
  await relay.stop();
  podInternal.close();
  await bus.close();
  await db.destroy();
});
