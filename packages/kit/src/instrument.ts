// Loaded with `node --import` before a service's own modules, so the instrumentations can
// patch grpc-js, http and pg as they load. Tracing costs CPU on every call, so the SDK only
// starts when there is somewhere to send spans: OTEL_EXPORTER_OTLP_ENDPOINT (or the traces
// variant). The service name comes from OTEL_SERVICE_NAME.
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { NodeSDK } from "@opentelemetry/sdk-node";

const exporting = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);

if (exporting) {
  process.env.OTEL_METRICS_EXPORTER ??= "none";
  process.env.OTEL_LOGS_EXPORTER ??= "none";
  const sdk = new NodeSDK({
    instrumentations: [new GrpcInstrumentation(), new HttpInstrumentation(), new PgInstrumentation()],
  });
  sdk.start();
  // Flush spans on the way out; the service's own SIGTERM handler decides when to exit.
  process.once("beforeExit", () => void sdk.shutdown());
}
