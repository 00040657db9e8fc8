import { readFileSync } from "node:fs";
import {
  connectBus,
  CallGuard,
  createClient,
  grpcServerConfig,
  unary,
  createLogger,
  env,
  KEY_MANAGER_AUDIENCE,
  loadConfig,
  natsAccessFromEnv,
  MIGRATE_MODES,
  onShutdown,
  openDb,
  RevocationList,
  startGrpcServer,
  TokenIssuer,
  TokenVerifier,
} from "@symphony/kit";
import { NATS_DEFAULTS, SUBJECTS } from "@symphony/proto/contracts";
import { KeyInvalidation } from "@symphony/proto/events/v1/events";
import { KeyManagerServiceService } from "@symphony/proto/keymanager/v1/keymanager_service";
import { PodInternalServiceClient } from "@symphony/proto/pod/v1/pod_internal_service";
import { KeyCustody } from "./custody.js";
import { loadMasterKeys } from "./master-keys.js";
import { migrations } from "./migrations/index.js";
import { rotateOnMemberRemoval } from "./removal-rotation.js";
import type { KeyManagerDatabase } from "./schema.js";
import { keyManagerService } from "./service.js";
import { KeyStore } from "./store.js";

const grpc = grpcServerConfig(9102);
const config = loadConfig({
  databaseUrl: env.url("DATABASE_URL"),
  schema: env.string("DB_SCHEMA", "keymanager"),
  migrate: env.oneOf("DB_MIGRATE", MIGRATE_MODES, "auto"),
  natsUrl: env.string("NATS_URL", "nats://127.0.0.1:4222"),
  subjectPrefix: env.string("SUBJECT_PREFIX", NATS_DEFAULTS.subjectPrefix),
  revocationsBucket: env.string("REVOCATIONS_BUCKET", NATS_DEFAULTS.revocationsBucket),
  podAddr: env.address("POD_ADDR", "127.0.0.1:9101"),
  tokenKeyFile: env.string("TOKEN_SIGNING_KEY_FILE"),
  tokenTtlSeconds: env.positiveInt("KM_TOKEN_TTL_SECONDS", 3600),
  masterKeyFile: env.optional(env.string("KM_MASTER_KEY_FILE")),
  masterKey: env.optional(env.string("KM_MASTER_KEY")),
  masterKeyVersion: env.positiveInt("KM_MASTER_KEY_VERSION", 1),
});
const logger = createLogger("keymanager");
const readMasterKeys = () => loadMasterKeys({ file: config.masterKeyFile, key: config.masterKey, version: config.masterKeyVersion });

const ring = readMasterKeys();
const db = await openDb<KeyManagerDatabase>({ url: config.databaseUrl, schema: config.schema, migrate: config.migrate, migrations });
const store = new KeyStore(db);
const custody = await KeyCustody.open(store, ring, logger);
const bus = await connectBus(config.natsUrl, "keymanager", natsAccessFromEnv());
const tokens = await TokenIssuer.fromPem(readFileSync(config.tokenKeyFile, "utf8"), KEY_MANAGER_AUDIENCE, config.tokenTtlSeconds);
const verifier = new TokenVerifier(KEY_MANAGER_AUDIENCE, async () => tokens.jwks);
const revocations = await RevocationList.open(bus, config.revocationsBucket);
await revocations.follow(verifier, logger);
const pod = createClient(PodInternalServiceClient, config.podAddr, "pod", grpc.tls);

const keysChanged = (streamId: string) =>
  bus.nc.publish(SUBJECTS.keysChanged(config.subjectPrefix, streamId), KeyInvalidation.encode({ streamId, userId: 0 }).finish());
const reloadMasterKeys = async () => {
  await custody.adopt(readMasterKeys());
  logger.info({ version: custody.currentVersion }, "master keys reloaded");
  return custody.currentVersion;
};
// Kubernetes updates a mounted Secret in place; SIGHUP (or the admin RPC) picks up a new master key.
process.on("SIGHUP", () => void reloadMasterKeys().catch((err: unknown) => logger.error({ err }, "master key reload refused")));
rotateOnMemberRemoval(bus, config.subjectPrefix, custody, keysChanged, logger);

const guard = new CallGuard({
  logger,
  trustDomain: grpc.tls.trustDomain,
  authenticators: {
    keyManager: (token) => verifier.verify(token),
    roles: async (p) => {
      const { active, roles } = await unary(pod, pod.getUserRoles, { userId: p.userId });
      return active ? roles : [];
    },
  },
});
const server = await startGrpcServer({
  ...grpc,
  logger,
  services: [
    {
      name: "symphony.keymanager.v1.KeyManagerService",
      definition: KeyManagerServiceService,
      implementation: guard.serve(
        KeyManagerServiceService,
        keyManagerService({ pod, custody, store, tokens, verifier, revocations, keysChanged, reloadMasterKeys, logger }),
      ),
    },
  ],
});

onShutdown(logger, async () => {
  await server.drain();
  pod.close();
  await bus.close();
  await db.destroy();
});
