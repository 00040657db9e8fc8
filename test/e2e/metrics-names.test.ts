import { beforeAll, describe, expect, it } from "vitest";
import { mesh, newBot } from "./harness.js";

// Every service's /metrics follows Prometheus naming conventions, so dashboards and alerts written
// for other Node services apply: units in the name (seconds, bytes), counters ending in _total,
// and the process and Node runtime metrics present.

interface Family {
  type: string;
  unit?: string;
}

async function families(url: string): Promise<Map<string, Family>> {
  const text = await (await fetch(url)).text();
  const found = new Map<string, Family>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) found.set(name!, { type: type! });
  for (const [, name, unit] of text.matchAll(/^# UNIT (\S+) (.+)$/gm)) {
    const family = found.get(name!);
    if (family) family.unit = unit;
  }
  return found;
}

describe("metric names", () => {
  // A bot signing in makes REST requests and gRPC calls, so their durations have been recorded.
  beforeAll(async () => void (await newBot("metrics")));

  it.each(["gateway", "pod", "keymanager", "agent", "objectstore"] as const)("%s follows the Prometheus conventions", async (service) => {
    const metrics = await families(mesh().metricsUrls[service]);
    expect(metrics.size).toBeGreaterThan(0);
    for (const [name, { type, unit }] of metrics) {
      if (type === "counter") expect(name, name).toMatch(/_total$/);
      expect(unit ?? "", name).not.toMatch(/^(ms|us|ns|min|h)$/);
      if (unit === "s") expect(name, name).toMatch(/_seconds(_total)?$/);
      if (unit === "By") expect(name, name).toMatch(/_bytes(_total)?$/);
      expect(name, name).not.toMatch(/_(ms|millis|milliseconds)(_|$)/);
    }
    for (const runtime of ["process_cpu_time_seconds_total", "process_memory_usage_bytes", "nodejs_eventloop_delay_p99_seconds", "nodejs_eventloop_utilization_ratio", "v8js_memory_heap_used_bytes"]) {
      expect([...metrics.keys()], runtime).toContain(runtime);
    }
  });

  it("the RPC and REST durations are histograms in seconds", async () => {
    const pod = await families(mesh().metricsUrls.pod);
    expect(pod.get("rpc_server_duration_seconds")).toEqual({ type: "histogram", unit: "s" });
    const gateway = await families(mesh().metricsUrls.gateway);
    expect(gateway.get("http_server_request_duration_seconds")).toEqual({ type: "histogram", unit: "s" });
  });
});
