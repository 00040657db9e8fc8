// npm run bench:tracing -- [--bots 16] [--seconds 15] [--warmup 3] [--rounds 2]
// The cost of tracing on the send path: the same closed-loop send load on a fresh mesh with
// tracing off (no OTLP endpoint), on with every trace sampled, and on with 1% sampled, each
// exporting over OTLP/HTTP (protobuf) to a receiver in this process. Rounds alternate the three
// settings so that drift of a shared machine hits them alike; the report gives the best round of
// each and its ratio to "off".
import { parseArgs } from "node:util";
import { startOtlpReceiver } from "../scripts/otlp-receiver.js";
import { machine, sendLoad, withMesh, type SendResult } from "./harness.js";
import { provisionBots } from "./provision.js";

const { values } = parseArgs({
  options: {
    bots: { type: "string", default: "16" },
    seconds: { type: "string", default: "15" },
    warmup: { type: "string", default: "3" },
    rounds: { type: "string", default: "2" },
  },
});
const SERVICES = ["gateway", "pod", "keymanager", "agent", "objectstore"] as const;

const receiver = await startOtlpReceiver();
const settings: Record<string, Record<string, string>> = {
  off: {},
  "sampled 100%": { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER: "parentbased_always_on" },
  "sampled 1%": { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.01" },
};

const best: Record<string, SendResult> = {};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, env] of Object.entries(settings)) {
    const serviceEnv = Object.fromEntries(SERVICES.map((s) => [s, env]));
    const result = await withMesh({ serviceEnv }, async (mesh, admin) =>
      sendLoad(mesh, await provisionBots(admin, mesh.gatewayUrl, Number(values.bots)), Number(values.seconds), Number(values.warmup)),
    );
    console.error(`round ${round + 1}, tracing ${name}: ${result.msgPerSecond} msg/s, p99 ${result.p99ms} ms`);
    if (!best[name] || result.msgPerSecond > best[name].msgPerSecond) best[name] = result;
  }
}
await receiver.close();

const off = best.off!.msgPerSecond;
console.log(
  JSON.stringify(
    {
      machine: machine(),
      bots: Number(values.bots),
      seconds: Number(values.seconds),
      rounds: Number(values.rounds),
      exported: { requests: Object.fromEntries(receiver.requests), bytes: receiver.bytes },
      results: Object.fromEntries(
        Object.entries(best).map(([name, r]) => [name, { msgPerSecond: r.msgPerSecond, ratioToOff: Number((r.msgPerSecond / off).toFixed(3)), p50ms: r.p50ms, p99ms: r.p99ms, errors: r.errors, cpuOfOneCore: r.cpuOfOneCore }]),
      ),
    },
    null,
    2,
  ),
);
