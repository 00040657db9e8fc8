import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Server, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { env, loadConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { serverCredentials, type MeshTls } from "./mesh-tls.js";
import { setReady as probeReady } from "./probes.js";
import { watchReadiness, type ReadinessCheck } from "./readiness.js";
import { rpcMetrics } from "./rpc-metrics.js";
import { GRPC_MAX_MESSAGE_BYTES } from "./limits.js";

export interface ServiceBinding {
  /** Fully qualified name, as health checks and reflection report it. */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface RunningServer {
  server: Server;
  port: number;
  health: HealthImplementation;
  /**
   * Fails the health checks, waits SHUTDOWN_DELAY_MS for callers to notice, stops taking calls,
   * lets in-flight ones finish (up to graceMs, SHUTDOWN_GRACE_MS by default), then closes.
   */
  drain(graceMs?: number): Promise<void>;
}

const require = createRequire(import.meta.url);
let reflectionPackage: ReturnType<typeof loadFileDescriptorSetFromBuffer> | undefined;

function reflection(): ReflectionService {
  reflectionPackage ??= loadFileDescriptorSetFromBuffer(readFileSync(require.resolve("@symphony/proto/descriptors.binpb")));
  return new ReflectionService(reflectionPackage);
}

export async function startGrpcServer(opts: {
  port: number;
  /** Interface to listen on (GRPC_HOST); loopback unless a deployment says otherwise. */
  host: string;
  tls: MeshTls;
  services: ServiceBinding[];
  logger: Logger;
  /** Dependencies (database, NATS, upstreams) the health status follows: NOT_SERVING while one is down. */
  readiness?: Record<string, ReadinessCheck>;
}): Promise<RunningServer> {
  const shutdown = loadConfig({
    delayMs: env.nonNegativeInt("SHUTDOWN_DELAY_MS", 5_000),
    // Longer than a datafeed long poll (30 s), shorter than the pod's termination grace period.
    graceMs: env.positiveInt("SHUTDOWN_GRACE_MS", 35_000),
  });
  const server = new Server({
    "grpc.max_receive_message_length": GRPC_MAX_MESSAGE_BYTES,
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_permit_without_calls": 1,
    interceptors: [rpcMetrics],
  });
  for (const s of opts.services) server.addService(s.definition, s.implementation);
  const health = new HealthImplementation({ "": "SERVING", ...Object.fromEntries(opts.services.map((s) => [s.name, "SERVING"])) });
  let bound = false;
  let serving = true;
  const publish = () => probeReady(bound && serving);
  const setReady = (status: "SERVING" | "NOT_SERVING") => {
    serving = status === "SERVING";
    health.setStatus("", status);
    for (const s of opts.services) health.setStatus(s.name, status);
    publish();
  };
  const readiness = watchReadiness(opts.readiness ?? {}, opts.logger, (serving) => setReady(serving ? "SERVING" : "NOT_SERVING"));
  health.addToServer(server);
  reflection().addToServer(server);

  const tls = serverCredentials(opts.tls);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host}:${opts.port}`, tls.credentials, (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  await tls.loaded;
  bound = true;
  publish();
  opts.logger.info({ host: opts.host, port, services: opts.services.map((s) => s.name) }, "gRPC server listening (mTLS)");

  const drain = async (graceMs = shutdown.graceMs) => {
    readiness.stop();
    setReady("NOT_SERVING");
    // Load balancers and Kubernetes endpoints notice the failing probe only after a while;
    // until then new calls still arrive and are served.
    await new Promise((resolve) => setTimeout(resolve, shutdown.delayMs));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  };
  return { server, port, health, drain };
}

/**
 * Runs the cleanup once on SIGTERM/SIGINT (Kubernetes sends SIGTERM before killing a pod)
 * and exits; a second signal exits at once.
 */
export function onShutdown(logger: Logger, cleanup: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "shutting down");
    cleanup()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}
