import { readFileSync } from "node:fs";
import { createLogger, env, grpcServerConfig, loadConfig, onShutdown, startGrpcServer } from "@symphony/kit";
import { buildGateway } from "./app.js";
import { loadRoutes } from "./routes.js";
import { Upstreams } from "./upstream.js";

const mesh = grpcServerConfig(9100);
const config = loadConfig({
  httpPort: env.port("HTTP_PORT", 8080),
  httpsPort: env.port("HTTPS_PORT", 8443),
  host: env.string("HOST", "0.0.0.0"),
  tlsCertFile: env.optional(env.string("TLS_CERT_FILE")),
  tlsKeyFile: env.optional(env.string("TLS_KEY_FILE")),
  clientCaFile: env.optional(env.string("CLIENT_CA_FILE")),
  podAddr: env.address("POD_ADDR", "127.0.0.1:9101"),
  kmAddr: env.address("KM_ADDR", "127.0.0.1:9102"),
  agentAddr: env.address("AGENT_ADDR", "127.0.0.1:9103"),
  objectStoreAddr: env.address("OBJECTSTORE_ADDR", "127.0.0.1:9104"),
});
const logger = createLogger("gateway");

const routes = loadRoutes();
const upstreams = new Upstreams({
  "symphony.pod.v1": config.podAddr,
  "symphony.keymanager.v1": config.kmAddr,
  "symphony.agent.v1": config.agentAddr,
  "symphony.objectstore.v1": config.objectStoreAddr,
}, mesh.tls);

const http = await buildGateway({ routes, upstreams, logger });
await http.listen({ port: config.httpPort, host: config.host });
const servers = [http];
if (config.tlsCertFile && config.tlsKeyFile) {
  const https = await buildGateway({ routes, upstreams, logger, https: {
      cert: readFileSync(config.tlsCertFile),
      key: readFileSync(config.tlsKeyFile),
      ca: config.clientCaFile ? readFileSync(config.clientCaFile) : undefined,
    },
  });
  await https.listen({ port: config.httpsPort, host: config.host });
  servers.push(https);
}
logger.info({ http: config.httpPort, https: servers.length > 1 ? config.httpsPort : undefined, routes: routes.length }, "gateway listening");
const grpc = await startGrpcServer({ ...mesh, logger, services: [] });

onShutdown(logger, async () => {
  // Fail the probes first; then stop accepting, let in-flight requests finish and close the upstreams.
  await grpc.drain();
  await Promise.all(servers.map((s) => s.close()));
  upstreams.close();
});
