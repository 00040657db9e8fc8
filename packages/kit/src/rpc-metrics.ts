import { ResponderBuilder, ServerInterceptingCall, type ServerInterceptor } from "@grpc/grpc-js";
import { meter } from "./telemetry.js";

// Histogram boundaries in milliseconds: sub-millisecond cache hits up to datafeed long polls.
const BUCKETS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

const duration = meter.createHistogram("rpc.server.duration", {
  unit: "ms",
  description: "Duration of gRPC calls served, by service, method and status code",
  advice: { explicitBucketBoundaries: BUCKETS_MS },
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
        duration.record(performance.now() - started, {
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
