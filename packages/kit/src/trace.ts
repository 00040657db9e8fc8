import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import { METADATA } from "@symphony/proto/contracts";

// The client's X-Trace-Id, forwarded by the gateway as gRPC metadata.
export const CLIENT_TRACE_ID = METADATA.clientTraceId;

/**
 * The id to find this request by: the trace id when the trace is exported, else the client's
 * X-Trace-Id, else the unexported trace id (still in every log line of the request).
 */
export function traceIdOf(ctx: { caller: { clientTraceId: string | undefined } }): string {
  const span = trace.getSpan(context.active());
  if (span?.isRecording()) return span.spanContext().traceId;
  const client = ctx.caller.clientTraceId;
  if (client) return client;
  return span && isSpanContextValid(span.spanContext()) ? span.spanContext().traceId : "";
}
