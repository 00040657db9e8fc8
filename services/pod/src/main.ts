import { readFileSync } from "node:fs";
import {
  CallGuard,
  connectBus,
  createLogger,
  env,
  grpcServerConfig,
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
} from "@symphony/kit";
import { NATS_DEFAULTS } from "@symphony/proto/contracts";
import { DeadLetterServiceService } from "@symphony/proto/pod/v1/dead_letter_service";
import { PodInternalServiceService } from "@symphony/proto/pod/v1/pod_internal_service";
import { PodServiceService } from "@symphony/proto/pod/v1/pod_service";
import { ensureAdminAccount } from "./bootstrap.js";
import { currentRoles, type PodDeps } from "./context.js";
import { keyInvalidations, replayAfterOutages } from "./events.js";
import { migrations } from "./migrations/index.js";
import { ensureEventsStream, OutboxRelay } from "./outbox-relay.js";
import type { PodDatabase } from "./schema.js";
import { deadLetterService, podInternalService, podService } from "./service.js";
import { podStores } from "./stores.js";

const grpc = grpcServerConfig(9101);
const config = loadConfig({
  databaseUrl: env.url("DATABASE_URL"),
  schema: env.string("DB_SCHEMA", "pod"),
  migrate: env.oneOf("DB_MIGRATE", MIGRATE_MODES, "auto"),
  natsUrl: env.string("NATS_URL", "nats://127.0.0.1:4222"),
  eventsStream: env.string("EVENTS_STREAM", NATS_DEFAULTS.eventsStream),
  subjectPrefix: env.string("SUBJECT_PREFIX", NATS_DEFAULTS.subjectPrefix),
  tokenKeyFile: env.string("TOKEN_SIGNING_KEY_FILE"),
  sessionTtlSeconds: env.positiveInt("SESSION_TTL_SECONDS", 2 * 3600),
  adminPublicKeyFile: env.optional(env.string("ADMIN_PUBLIC_KEY_FILE")),
  revocationsBucket: env.string("REVOCATIONS_BUCKET", NATS_DEFAULTS.revocationsBucket),
});
const logger = createLogger("pod");

const db = await openDb<PodDatabase>({ url: config.databaseUrl, schema: config.schema, migrate: config.migrate, migrations });
const stores = podStores(db);
await ensureAdminAccount(stores.users, config.adminPublicKeyFile, logger);
const bus = await connectBus(config.natsUrl, "pod", natsAccessFromEnv());
const topology = { streamName: config.eventsStream, subjectPrefix: config.subjectPrefix };
await ensureEventsStream(bus, topology);
const relay = new OutboxRelay(stores, bus, topology, logger);
await replayAfterOutages(bus, relay, topology, logger);
relay.start();

const sessions = await TokenIssuer.fromPem(readFileSync(config.tokenKeyFile, "utf8"), SESSION_AUDIENCE, config.sessionTtlSeconds);
const verifier = new TokenVerifier(SESSION_AUDIENCE, async () => sessions.jwks);
const revocations = await RevocationList.open(bus, config.revocationsBucket);
await revocations.follow(verifier, logger);
const guard = new CallGuard({
  logger,
  trustDomain: grpc.tls.trustDomain,
  authenticators: {
    session: (token) => verifier.verify(token),
    roles: currentRoles(stores.users),
  },
});
const deps: PodDeps = {
  stores,
  sessions,
  verifier,
  revocations,
  published: () => relay.wake(),
  accessRevoked: keyInvalidations(bus, config.subjectPrefix),
};
const server = await startGrpcServer({
  ...grpc,
  logger,
  services: [
    {
      name: "symphony.pod.v1.PodService",
      definition: PodServiceService,
      implementation: guard.serve(PodServiceService, podService(deps)),
    },
    {
      name: "symphony.pod.v1.PodInternalService",
      definition: PodInternalServiceService,
      implementation: guard.serve(PodInternalServiceService, podInternalService(deps)),
    },
    {
      name: "symphony.pod.v1.DeadLetterService",
      definition: DeadLetterServiceService,
      implementation: guard.serve(DeadLetterServiceService, deadLetterService(deps, logger)),
    },
  ],
});

onShutdown(logger, async () => {
  await server.drain();
  await relay.stop();
  await bus.close();
  await db.destroy();
});
