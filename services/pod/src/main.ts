import { readFileSync } from "node:fs";
import {
  connectBus,
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
  TokenIssuer,
  TokenVerifier,
  unaryService,
} from "@symphony/kit";
import { PodInternalServiceService } from "@symphony/proto/pod/v1/pod_internal_service";
import { PodServiceService } from "@symphony/proto/pod/v1/pod_service";
import { KeyInvalidation } from "@symphony/proto/events/v1/events";
import { ensureAdminAccount } from "./bootstrap.js";
import { migrations } from "./migrations/index.js";
import { ensureEventsStream, OutboxRelay } from "./outbox-relay.js";
import type { PodDatabase } from "./schema.js";
import { podInternalService, podService } from "./service.js";
import { PodStore } from "./store.js";

const config = loadConfig({
  port: env.port("GRPC_PORT", 9101),
  databaseUrl: env.url("DATABASE_URL"),
  schema: env.string("DB_SCHEMA", "pod"),
  migrate: env.oneOf("DB_MIGRATE", MIGRATE_MODES, "auto"),
  natsUrl: env.string("NATS_URL", "nats://127.0.0.1:4222"),
  eventsStream: env.string("EVENTS_STREAM", "SYMPHONY_EVENTS"),
  subjectPrefix: env.string("SUBJECT_PREFIX", "symphony"),
  tokenKeyFile: env.string("TOKEN_SIGNING_KEY_FILE"),
  sessionTtlSeconds: env.positiveInt("SESSION_TTL_SECONDS", 2 * 3600),
  adminPublicKeyFile: env.optional(env.string("ADMIN_PUBLIC_KEY_FILE")),
  revocationsBucket: env.string("REVOCATIONS_BUCKET", "SYMPHONY_REVOKED_TOKENS"),
});
const logger = createLogger("pod");

const db = await openDb<PodDatabase>({ url: config.databaseUrl, schema: config.schema, migrate: config.migrate, migrations });
const store = new PodStore(db);
await ensureAdminAccount(store, config.adminPublicKeyFile, logger);
const bus = await connectBus(config.natsUrl, "pod", natsAccessFromEnv());
const topology = { streamName: config.eventsStream, subjectPrefix: config.subjectPrefix };
await ensureEventsStream(bus, topology);
const relay = new OutboxRelay(store, bus, topology, logger);
// After a NATS or pod crash, what NATS acknowledged but may not have written is published again.
const replay = () =>
  ensureEventsStream(bus, topology)
    .then(() => relay.replayRecent())
    .then(
      (replayed) => logger.info({ replayed }, "recent events republished"),
      (err: unknown) => logger.warn({ err }, "could not republish recent events"),
    );
await replay();
relay.start();
void (async () => {
  for await (const s of bus.nc.status()) if (s.type === "reconnect") await replay();
})();

const sessions = await TokenIssuer.fromPem(readFileSync(config.tokenKeyFile, "utf8"), SESSION_AUDIENCE, config.sessionTtlSeconds);
const verifier = new TokenVerifier(SESSION_AUDIENCE, async () => sessions.jwks);
const revocations = await RevocationList.open(bus, config.revocationsBucket);
await revocations.follow(verifier, logger);
const server = await startGrpcServer({
  port: config.port,
  logger,
  services: [
    {
      name: "symphony.pod.v1.PodService",
      definition: PodServiceService,
      implementation: unaryService(
        logger,
        podService({
          store,
          sessions,
          verifier,
          revocations,
          published: () => relay.wake(),
          accessRevoked: (streamId, userId) =>
            bus.nc.publish(`${config.subjectPrefix}.keys.changed.${streamId}`, KeyInvalidation.encode({ streamId, userId }).finish()),
        }),
      ),
    },
    {
      name: "symphony.pod.v1.PodInternalService",
      definition: PodInternalServiceService,
      implementation: unaryService(logger, podInternalService({ store, sessions })),
    },
  ],
});

onShutdown(logger, async () => {
  await server.drain();
  await relay.stop();
  await bus.close();
  await db.destroy();
});
