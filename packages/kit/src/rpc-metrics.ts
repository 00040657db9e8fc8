import { ResponderBuilder, ServerInterceptingCall, type ServerInterceptor } from "@grpc/grpc-js";
import { meter } from "./telemetry.js";

// Histogram boundaries in seconds: sub-millisecond cache hits up to datafeed long polls.
const BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

// Exported as rpc_server_duration_seconds (the exporter adds the unit suffix).
const duration = meter.createHistogram("rpc.server.duration", {
  unit: "s",
  description: "Duration of gRPC calls served, by service, method and status code",
  advice: { explicitBucketBoundaries: BUCKETS_S },
});

// Probes and tooling would drown the services' own calls.
const IGNORED = /^\/grpc\.(health|reflection)\./;

/** Records the duration and status of every gRPC call a server answers. */
export const rpcMetrics: ServerInterceptor = (method, call) => {
  if (IGNORED.test(method.path)) return new ServerInterceptingCall(call);
  const [, service = "", name = ""] = /^\/([^/]+)\/(.+)$/.exec(method.path) ?? [];
  const started = performance.now();
  return new ServerInterceptingCall(
    call,
    new ResponderBuilder()
      .withSendStatus((s, next) => {
        duration.record((performance.now() - started) / 1000, {
          "rpc.system": "grpc",
          "rpc.service": service,
          "rpc.method": name,
          "rpc.grpc.status_code": s.code,
        });
        next(s);
      })
      .build(),
  );
};
