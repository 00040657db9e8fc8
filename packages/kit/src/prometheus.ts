import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import type { CollectionResult } from "@opentelemetry/sdk-metrics";

// Prometheus names carry their unit (`_seconds`, `_bytes`, `_ratio`; counters end in `_total`, which
// the exporter adds). OpenTelemetry instruments keep the unit apart from the name, and this
// exporter version does not append it, so the suffix is added here, once, for every instrument:
// ours, the gRPC/HTTP/pg instrumentations' and the Node runtime's.
const UNIT_SUFFIX: Record<string, string> = { s: "_seconds", By: "_bytes", "1": "_ratio" };

export function withUnitSuffix(name: string, unit: string): string {
  const suffix = UNIT_SUFFIX[unit];
  if (!suffix) return name;
  const normalized = name.replace(/\./g, "_");
  return normalized.endsWith(suffix) || normalized.endsWith(`${suffix}_total`) ? name : `${name}${suffix}`;
}

export class ConventionalPrometheusExporter extends PrometheusExporter {
  override async collect(options?: { timeoutMillis?: number }): Promise<CollectionResult> {
    const result = await super.collect(options);
    for (const scope of result.resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        const { name, unit } = metric.descriptor;
        const conventional = withUnitSuffix(name, unit);
        if (conventional !== name) (metric as { descriptor: typeof metric.descriptor }).descriptor = { ...metric.descriptor, name: conventional };
      }
    }
    return result;
  }
}
