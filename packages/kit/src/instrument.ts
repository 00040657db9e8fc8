// Loaded with `node --import` before a service's own modules, so the instrumentations can patch
// grpc-js, http, pg and pino as they load (see docs/observability.md).
//
// Traces: exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces variant) is set;
// protocol, sampler and headers come from the standard OTEL_* variables. Without an endpoint the
// tracer never samples: spans are non-recording, but trace ids still flow through gRPC metadata and
// NATS headers, so logs and key audit rows stay correlated at almost no cost.
// Metrics: always served as Prometheus text on METRICS_PORT (default 9464) at /metrics, names
// following Prometheus conventions (unit suffixes, `_total`), with process and Node runtime metrics.
import { createServer } from "node:http";
import { createRequire, register } from "node:module";
import { metrics as metricsApi } from "@opentelemetry/api";
import { HostMetrics } from "@opentelemetry/host-metrics";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { PinoInstrumentation } from "@opentelemetry/instrumentation-pino";
import { RuntimeNodeInstrumentation } from "@opentelemetry/instrumentation-runtime-node";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { AlwaysOffSampler, NoopSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { env, loadConfig } from "./config.js";
import { ConventionalPrometheusExporter } from "./prometheus.js";
import { answerProbe } from "./probes.js";

register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);

const exporting = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
const { version } = createRequire(import.meta.url)("../package.json") as { version: string };
const metrics = loadConfig({ port: env.port("METRICS_PORT", 9464), host: env.optional(env.string("METRICS_HOST")) });

// One plain-HTTP listener on METRICS_PORT: /metrics for Prometheus, /healthz and /readyz for probes.
const prometheus = new ConventionalPrometheusExporter({ preventServerStart: true });
const probesAndMetrics = createServer((req, res) => {
  if (answerProbe(req, res)) return;
  if ((req.url ?? "").split("?")[0] === "/metrics") return prometheus.getMetricsRequestHandler(req, res);
  res.writeHead(404).end();
});
probesAndMetrics.listen(metrics.port, metrics.host);
probesAndMetrics.unref();

process.env.OTEL_METRICS_EXPORTER ??= "none";
process.env.OTEL_LOGS_EXPORTER ??= "none";
const sdk = new NodeSDK({
  resource: resourceFromAttributes({
    [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? "symphony",
    [ATTR_SERVICE_VERSION]: process.env.SERVICE_VERSION ?? version,
  }),
  autoDetectResources: false,
  ...(exporting ? {} : { sampler: new AlwaysOffSampler(), spanProcessors: [new NoopSpanProcessor()] }),
  // host-metrics gives the process's memory no unit; Prometheus wants bytes in the name.
  views: [{ instrumentName: "process.memory.usage", name: "process.memory.usage_bytes" }],
  metricReaders: [prometheus],
  instrumentations: [
    new GrpcInstrumentation(),
    // Services speak HTTP only to serve the REST API (gateway, which names spans by route) and to
    // export telemetry; neither scrapes nor exports are worth a span.
    new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => ["/metrics", "/healthz", "/readyz"].includes((req.url ?? "").split("?")[0]!), disableOutgoingRequestInstrumentation: true }),
    // Background work (the outbox relay's polling) would start a trace per query.
    new PgInstrumentation({ requireParentSpan: true }),
    new PinoInstrumentation({ logKeys: { traceId: "trace_id", spanId: "span_id", traceFlags: "trace_flags" } }),
    // Event loop delay and utilization, heap per space, GC pauses: the Node runtime's own health.
    new RuntimeNodeInstrumentation(),
  ],
});
sdk.start();
// The process's CPU time and memory. The host's (system.*) belong to the node exporter of whoever
// runs the machine, not to each service.
new HostMetrics({ meterProvider: metricsApi.getMeterProvider(), name: "symphony-process", metricGroups: ["process.cpu", "process.memory"] }).start();
// Flush spans on the way out; the service's own SIGTERM handler decides when to exit.
process.once("beforeExit", () => void sdk.shutdown());
