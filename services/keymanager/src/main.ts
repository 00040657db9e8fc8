import { readFileSync } from "node:fs";
import {
  createClient,
  createLogger,
  env,
  KEY_MANAGER_AUDIENCE,
  loadConfig,
  onShutdown,
  openDb,
  startGrpcServer,
  TokenIssuer,
  TokenVerifier,
  unaryService,
} from "@symphony/kit";
import { KeyManagerServiceService } from "@symphony/proto/keymanager/v1/keymanager_service";
import { PodInternalServiceClient } from "@symphony/proto/pod/v1/pod_internal_service";
import { KeyCustody } from "./custody.js";
import { masterKey } from "./master-key.js";
import { migrations } from "./migrations/index.js";
import type { KeyManagerDatabase } from "./schema.js";
import { keyManagerService } from "./service.js";
import { KeyStore } from "./store.js";

const config = loadConfig({
  port: env.port("GRPC_PORT", 9102),
  databaseUrl: env.url("DATABASE_URL"),
  schema: env.string("DB_SCHEMA", "keymanager"),
  podAddr: env.address("POD_ADDR", "127.0.0.1:9101"),
  tokenKeyFile: env.string("TOKEN_SIGNING_KEY_FILE"),
  tokenTtlSeconds: env.positiveInt("KM_TOKEN_TTL_SECONDS", 2 * 3600),
  masterKey: env.string("KM_MASTER_KEY"),
  masterKeyVersion: env.positiveInt("KM_MASTER_KEY_VERSION", 1),
});
const logger = createLogger("keymanager");

const master = masterKey(config.masterKey, config.masterKeyVersion);
const db = await openDb<KeyManagerDatabase>({ url: config.databaseUrl, schema: config.schema, migrations });
const store = new KeyStore(db);
const tokens = await TokenIssuer.fromPem(readFileSync(config.tokenKeyFile, "utf8"), KEY_MANAGER_AUDIENCE, config.tokenTtlSeconds);
const pod = createClient(PodInternalServiceClient, config.podAddr);

const server = await startGrpcServer({
  port: config.port,
  logger,
  services: [
    {
      name: "symphony.keymanager.v1.KeyManagerService",
      definition: KeyManagerServiceService,
      implementation: unaryService(
        logger,
        keyManagerService({
          pod,
          custody: new KeyCustody(store, master),
          store,
          tokens,
          verifier: new TokenVerifier(KEY_MANAGER_AUDIENCE, async () => tokens.jwks),
        }),
      ),
    },
  ],
});

onShutdown(logger, async () => {
  await server.drain();
  pod.close();
  await db.destroy();
});
