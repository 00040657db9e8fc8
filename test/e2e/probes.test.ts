import { describe, expect, it } from "vitest";
import { mesh } from "./harness.js";

// Kubernetes probes cannot present a mesh certificate, so every service answers them in plain
// HTTP on its metrics port, next to /metrics: /healthz while the process answers, /readyz while it
// serves (bound, certificate loaded, every dependency up).
describe("HTTP probes on the metrics port", () => {
  it.each(["gateway", "pod", "keymanager", "agent", "objectstore"] as const)("%s answers /healthz and /readyz, and nothing else but /metrics", async (service) => {
    const origin = new URL(mesh().metricsUrls[service]).origin;
    for (const path of ["/healthz", "/readyz"]) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status, `${service} ${path}`).toBe(200);
      expect(await res.text()).toBe("ok\n");
    }
    expect((await fetch(`${origin}/metrics`)).status).toBe(200);
    expect((await fetch(`${origin}/anything-else`)).status).toBe(404);
  });
});
