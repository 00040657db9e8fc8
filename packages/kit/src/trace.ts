import { context, trace } from "@opentelemetry/api";
import type { CallContext } from "./handlers.js";

// The client's X-Trace-Id, forwarded by the gateway as gRPC metadata.
export const CLIENT_TRACE_ID = "x-trace-id";

/** The current OpenTelemetry trace id, else the client's X-Trace-Id, else "". */
export function traceIdOf(ctx: CallContext): string {
  const span = trace.getSpan(context.active());
  if (span?.isRecording()) return span.spanContext().traceId;
  return ctx.metadata.get(CLIENT_TRACE_ID)[0]?.toString() ?? "";
}
