import { createLogger, env, loadConfig, onShutdown, startGrpcServer, unaryService } from "@symphony/kit";
import { ObjectStoreServiceService } from "@symphony/proto/objectstore/v1/objectstore_service";
import { objectStoreService } from "./service.js";

const config = loadConfig({
  port: env.port("GRPC_PORT", 9104),
  enabled: env.boolean("OBJECTSTORE_ENABLED", true),
});
const logger = createLogger("objectstore");

const server = await startGrpcServer({
  port: config.port,
  logger,
  services: [
    {
      name: "symphony.objectstore.v1.ObjectStoreService",
      definition: ObjectStoreServiceService,
      implementation: unaryService(logger, objectStoreService({ enabled: config.enabled })),
    },
  ],
});

onShutdown(logger, () => server.drain());
