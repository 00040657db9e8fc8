// Span names, attribute keys and instruments shared by every service. They are a contract with
// operators' dashboards and are listed in docs/observability.md: rename nothing without updating it.
// Attribute values are ids and outcomes only; a token, key or message text never becomes one.
import { context, metrics, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span } from "@opentelemetry/api";

export const tracer = trace.getTracer("symphony");
export const meter = metrics.getMeter("symphony");

export const ATTR = {
  userId: "enduser.id",
  streamId: "symphony.stream.id",
  messageId: "symphony.message.id",
  rotationId: "symphony.rotation.id",
  keyCache: "symphony.key_cache",
  tokenKind: "symphony.token.kind",
  eventType: "symphony.event.type",
  feedId: "symphony.datafeed.id",
  clientTraceId: "symphony.client_trace_id",
  decision: "symphony.key.decision",
} as const;

export const SPAN = {
  tokenVerify: "token.verify",
  contentKey: "agent.content_key",
  encrypt: "agent.encrypt",
  decrypt: "agent.decrypt",
  keyRelease: "keymanager.key.release",
  outboxPublish: "outbox.publish",
  datafeedDeliver: "datafeed.deliver",
} as const;

export interface SpanOptions {
  kind?: SpanKind;
  parent?: Context;
  links?: Link[];
}

/** Runs fn inside a new active span that ends with fn and records a thrown error. */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T> | T, opts: SpanOptions = {}): Promise<T> {
  return tracer.startActiveSpan(name, { attributes, kind: opts.kind ?? SpanKind.INTERNAL, links: opts.links }, opts.parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : "error" });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** W3C trace context of the active span as a carrier (traceparent, tracestate), for storing or sending. */
function traceCarrier(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The active trace context as JSON for an outbox row, so the relay's publication joins the writer's trace; null without one. */
export function traceContextJson(): string | null {
  const carrier = traceCarrier();
  return carrier.traceparent ? JSON.stringify(carrier) : null;
}

/** The context a carrier written by traceCarrier describes. */
export function contextFromCarrier(carrier: Record<string, string> | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active();
}

/** Headers of a NATS message, as a carrier for the W3C propagator. */
export interface HeaderCarrier {
  get(key: string): string;
  set(key: string, value: string): void;
  has(key: string): boolean;
}

export function injectIntoHeaders(headers: HeaderCarrier, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers, { set: (h, k, v) => h.set(k, v) });
}

export function contextFromHeaders(headers: HeaderCarrier | undefined): Context {
  if (!headers) return context.active();
  return propagation.extract(context.active(), headers, {
    get: (h, k) => (h.has(k) ? h.get(k) : undefined),
    keys: () => ["traceparent", "tracestate"],
  });
}
