import {
  CallGuard,
  connectBus,
  createClient,
  grpcServerConfig,
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
} from "@symphony/kit";
import { NATS_DEFAULTS } from "@symphony/proto/contracts";
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

const grpc = grpcServerConfig(9104);
const config = loadConfig({
  databaseUrl: env.url("DATABASE_URL"),
  schema: env.string("DB_SCHEMA", "objectstore"),
  migrate: env.oneOf("DB_MIGRATE", MIGRATE_MODES, "auto"),
  natsUrl: env.string("NATS_URL", "nats://127.0.0.1:4222"),
  subjectPrefix: env.string("SUBJECT_PREFIX", NATS_DEFAULTS.subjectPrefix),
  objectsStream: env.string("OBJECTS_STREAM", NATS_DEFAULTS.objectsStream),
  entitlementsBucket: env.string("ENTITLEMENTS_BUCKET", NATS_DEFAULTS.entitlementsBucket),
  revocationsBucket: env.string("REVOCATIONS_BUCKET", NATS_DEFAULTS.revocationsBucket),
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

const podInternal = createClient(PodInternalServiceClient, config.podAddr, "pod", grpc.tls);
const sessions = new TokenVerifier(SESSION_AUDIENCE, async () => JSON.parse((await unary(podInternal, podInternal.getSessionTokenKeys, {})).jwks));
await (await RevocationList.open(bus, config.revocationsBucket)).follow(sessions, logger);
const pods = new Pods([{ podId: config.podId, sessions, internal: podInternal }]);
const entitlements = await Entitlements.open(bus, config.entitlementsBucket, config.enabledByDefault, logger);

const guard = new CallGuard({
  logger,
  trustDomain: grpc.tls.trustDomain,
  authenticators: { session: (token) => pods.authenticate(token), roles: (p) => pods.roles(p) },
});
const server = await startGrpcServer({
  ...grpc,
  logger,
  services: [
    {
      name: "symphony.objectstore.v1.ObjectStoreService",
      definition: ObjectStoreServiceService,
      implementation: guard.serve(
        ObjectStoreServiceService,
        objectStoreService({ store, pods, entitlements, feeds: new FeedQueues(bus, topology), published: () => relay.wake() }),
      ),
    },
    {
      name: "symphony.objectstore.v1.ObjectStoreAdminService",
      definition: ObjectStoreAdminServiceService,
      implementation: guard.serve(ObjectStoreAdminServiceService, objectStoreAdminService({ entitlements })),
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
