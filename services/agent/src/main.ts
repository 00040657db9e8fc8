import {
  CallGuard,
  connectBus,
  createClient,
  grpcServerConfig,
  createLogger,
  env,
  KEY_MANAGER_AUDIENCE,
  loadConfig,
  natsAccessFromEnv,
  onShutdown,
  RevocationList,
  SESSION_AUDIENCE,
  startGrpcServer,
  TokenVerifier,
  unary,
  dependency,
} from "@symphony/kit";
import { AgentServiceService } from "@symphony/proto/agent/v1/agent_service";
import { NATS_DEFAULTS, SUBJECTS } from "@symphony/proto/contracts";
import { KeyInvalidation } from "@symphony/proto/events/v1/events";
import { KeyManagerServiceClient } from "@symphony/proto/keymanager/v1/keymanager_service";
import { PodInternalServiceClient } from "@symphony/proto/pod/v1/pod_internal_service";
import { PodServiceClient } from "@symphony/proto/pod/v1/pod_service";
import { ContentKeyCache } from "./content-keys.js";
import { ProfileCache } from "./profiles.js";
import { FeedStore, V4AckState } from "./feeds.js";
import { agentService } from "./service.js";

const grpc = grpcServerConfig(9103);
const config = loadConfig({
  podAddr: env.address("POD_ADDR", "127.0.0.1:9101"),
  kmAddr: env.address("KM_ADDR", "127.0.0.1:9102"),
  natsUrl: env.string("NATS_URL", "nats://127.0.0.1:4222"),
  subjectPrefix: env.string("SUBJECT_PREFIX", NATS_DEFAULTS.subjectPrefix),
  revocationsBucket: env.string("REVOCATIONS_BUCKET", NATS_DEFAULTS.revocationsBucket),
  keyCacheTtlMs: env.nonNegativeInt("KEY_CACHE_TTL_MS", 5 * 60_000),
  eventsStream: env.string("EVENTS_STREAM", NATS_DEFAULTS.eventsStream),
  maxFeedsPerUser: env.positiveInt("MAX_DATAFEEDS_PER_USER", 5),
  datafeedPollMs: env.positiveInt("DATAFEED_POLL_MS", 30_000),
  datafeedTtlMs: env.positiveInt("DATAFEED_TTL_MS", 30 * 60_000),
});
const logger = createLogger("agent");

const pod = createClient(PodServiceClient, config.podAddr, "pod", grpc.tls);
const podInternal = createClient(PodInternalServiceClient, config.podAddr, "pod", grpc.tls);
const km = createClient(KeyManagerServiceClient, config.kmAddr, "keymanager", grpc.tls);

const sessions = new TokenVerifier(SESSION_AUDIENCE, async () => JSON.parse((await unary(podInternal, podInternal.getSessionTokenKeys, {})).jwks));
const keyManagerTokens = new TokenVerifier(KEY_MANAGER_AUDIENCE, async () => JSON.parse((await unary(km, km.getKeyManagerTokenKeys, {})).jwks));

const keys = new ContentKeyCache(km, config.keyCacheTtlMs);
const bus = await connectBus(config.natsUrl, "agent", natsAccessFromEnv());
const revocations = await RevocationList.open(bus, config.revocationsBucket);
await revocations.follow(sessions, logger);
await revocations.follow(keyManagerTokens, logger);
bus.nc.subscribe(SUBJECTS.allKeysChanged(config.subjectPrefix), {
  callback: (err, msg) => {
    if (err) return;
    const notice = KeyInvalidation.decode(msg.data);
    keys.invalidate(notice.streamId, notice.userId);
  },
});

const guard = new CallGuard({
  logger,
  trustDomain: grpc.tls.trustDomain,
  authenticators: {
    session: (token) => sessions.verify(token),
    keyManager: (token) => keyManagerTokens.verify(token),
    roles: async (p) => {
      const { active, roles } = await unary(podInternal, podInternal.getUserRoles, { userId: p.userId });
      return active ? roles : [];
    },
  },
});
const server = await startGrpcServer({
  ...grpc,
  logger,
  readiness: { nats: dependency.nats(bus), pod: dependency.upstream(pod), keymanager: dependency.upstream(km) },
  services: [
    {
      name: "symphony.agent.v1.AgentService",
      definition: AgentServiceService,
      implementation: guard.serve(AgentServiceService, agentService({
          logger,
          pod,
          keys,
          feeds: new FeedStore(bus, config.eventsStream, config.subjectPrefix, config.maxFeedsPerUser, config.datafeedTtlMs),
          v4Acks: await V4AckState.open(bus, `${config.eventsStream}_V4_ACKS`, config.datafeedTtlMs),
          pollMs: config.datafeedPollMs,
          profiles: new ProfileCache(pod),
        })),
    },
  ],
});

onShutdown(logger, async () => {
  await server.drain();
  for (const c of [pod, podInternal, km]) c.close();
  await bus.close();
});
