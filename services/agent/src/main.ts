import {
  createClient,
  createLogger,
  env,
  KEY_MANAGER_AUDIENCE,
  loadConfig,
  onShutdown,
  SESSION_AUDIENCE,
  startGrpcServer,
  TokenVerifier,
  unary,
  unaryService,
} from "@symphony/kit";
import { AgentServiceService } from "@symphony/proto/agent/v1/agent_service";
import { KeyManagerServiceClient } from "@symphony/proto/keymanager/v1/keymanager_service";
import { PodInternalServiceClient } from "@symphony/proto/pod/v1/pod_internal_service";
import { PodServiceClient } from "@symphony/proto/pod/v1/pod_service";
import { ContentKeyCache } from "./content-keys.js";
import { agentService } from "./service.js";

const config = loadConfig({
  port: env.port("GRPC_PORT", 9103),
  podAddr: env.address("POD_ADDR", "127.0.0.1:9101"),
  kmAddr: env.address("KM_ADDR", "127.0.0.1:9102"),
});
const logger = createLogger("agent");

const pod = createClient(PodServiceClient, config.podAddr);
const podInternal = createClient(PodInternalServiceClient, config.podAddr);
const km = createClient(KeyManagerServiceClient, config.kmAddr);

const sessions = new TokenVerifier(SESSION_AUDIENCE, async () => JSON.parse((await unary(podInternal, podInternal.getSessionTokenKeys, {})).jwks));
const keyManagerTokens = new TokenVerifier(KEY_MANAGER_AUDIENCE, async () => JSON.parse((await unary(km, km.getKeyManagerTokenKeys, {})).jwks));

const server = await startGrpcServer({
  port: config.port,
  logger,
  services: [
    {
      name: "symphony.agent.v1.AgentService",
      definition: AgentServiceService,
      implementation: unaryService(logger, agentService({ pod, keys: new ContentKeyCache(km), sessions, keyManagerTokens })),
    },
  ],
});

onShutdown(logger, async () => {
  await server.drain();
  for (const c of [pod, podInternal, km]) c.close();
});
