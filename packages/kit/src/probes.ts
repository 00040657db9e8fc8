import type { IncomingMessage, ServerResponse } from "node:http";

// What Kubernetes' HTTP probes read on the metrics port: its native gRPC probes cannot present a
// mesh client certificate. The gRPC server writes the state, the metrics listener (started by
// instrument.ts, before the service's modules) reads it; both import this one module.

interface ProbeState {
  /** The gRPC server is bound, its certificate loaded, and every dependency answers. */
  ready: boolean;
}

const state: ProbeState = { ready: false };

export function setReady(ready: boolean): void {
  state.ready = ready;
}

/** Answers /healthz (the process answers) and /readyz (it should get traffic); false for any other path. */
export function answerProbe(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? "").split("?")[0];
  if (path !== "/healthz" && path !== "/readyz") return false;
  const ok = path === "/healthz" || state.ready;
  res.writeHead(ok ? 200 : 503, { "content-type": "text/plain; charset=utf-8" });
  res.end(ok ? "ok\n" : "not ready\n");
  return true;
}
