// npm run bench:send -- [--bots 32] [--seconds 20] [--warmup 3] [--profile DIR]
// N concurrent bots, one room each, send MessageML through the gateway for a fixed time on a
// mesh started for the run; prints msg/s, latency percentiles, CPU and peak RSS per service.
// The load generator shares the machine with the mesh.
import { parseArgs } from "node:util";
import { machine, sendLoad, withMesh } from "./harness.js";
import { provisionBots } from "./provision.js";

const { values } = parseArgs({
  options: { bots: { type: "string", default: "32" }, seconds: { type: "string", default: "20" }, warmup: { type: "string", default: "3" }, profile: { type: "string" } },
});
const bots = Number(values.bots);
const seconds = Number(values.seconds);

// --profile writes one V8 CPU profile per service (open in Chrome DevTools).
const nodeArgs = values.profile ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`] : [];
const result = await withMesh({ nodeArgs }, async (mesh, admin) =>
  sendLoad(mesh, await provisionBots(admin, mesh.gatewayUrl, bots), seconds, Number(values.warmup)),
);
console.log(JSON.stringify({ machine: machine(), bots, seconds, ...result }, null, 2));
