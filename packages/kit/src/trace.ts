import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import type { CallContext } from "./handlers.js";

// The client's X-Trace-Id, forwarded by the gateway as gRPC metadata.
export const CLIENT_TRACE_ID = "x-trace-id";

/**
 * The id to find this request by: the trace id when the trace is exported, else the client's
 * X-Trace-Id, else the unexported trace id (still in every log line of the request).
 */
export function traceIdOf(ctx: CallContext): string {
  const span = trace.getSpan(context.active());
  if (span?.isRecording()) return span.spanContext().traceId;
  const client = ctx.metadata.get(CLIENT_TRACE_ID)[0]?.toString();
  if (client) return client;
  return span && isSpanContextValid(span.spanContext()) ? span.spanContext().traceId : "";
}
