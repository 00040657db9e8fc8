// npm run bench:read -- [--bots 32] [--seconds 15]
// The reads a bot fleet makes all day: user lookups (GET /pod/v3/users), stream lists
// (POST /pod/v1/streams/list) and room info (GET /pod/v3/room/{id}/info), mixed 40/30/30,
// in a closed loop per bot; prints requests/s and latency per operation.
import { randomInt } from "node:crypto";
import { parseArgs } from "node:util";
import { machine, percentile, withMesh } from "./harness.js";
import { provisionBots } from "./provision.js";

const { values } = parseArgs({ options: { bots: { type: "string", default: "32" }, seconds: { type: "string", default: "15" } } });
const bots = Number(values.bots);
const seconds = Number(values.seconds);

const result = await withMesh({}, async (mesh, admin) => {
  const senders = await provisionBots(admin, mesh.gatewayUrl, bots);
  const userIds = await Promise.all(senders.map(async (s) => (await s.bot.call<{ id: number }>("GET", "/pod/v2/sessioninfo")).id));
  const latencies: Record<string, number[]> = { users: [], streams: [], roomInfo: [] };
  let errors = 0;
  const get = (path: string, headers: Record<string, string>) => fetch(`${mesh.gatewayUrl}${path}`, { headers });
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    senders.map(async ({ bot, streamId }) => {
      const headers = { sessionToken: bot.sessionToken, accept: "application/json" };
      while (performance.now() < end) {
        const dice = randomInt(10);
        const op = dice < 4 ? "users" : dice < 7 ? "streams" : "roomInfo";
        const t0 = performance.now();
        const res =
          op === "users"
            ? await get(`/pod/v3/users?uid=${userIds[randomInt(userIds.length)]},${userIds[randomInt(userIds.length)]}`, headers)
            : op === "streams"
              ? await fetch(`${mesh.gatewayUrl}/pod/v1/streams/list`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}" })
              : await get(`/pod/v3/room/${streamId}/info`, headers);
        await res.arrayBuffer();
        if (res.status === 200) latencies[op]!.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  const summary = (xs: number[]) => {
    xs.sort((a, b) => a - b);
    return { requestsPerSecond: Math.round(xs.length / seconds), p50ms: Number(percentile(xs, 50).toFixed(1)), p99ms: Number(percentile(xs, 99).toFixed(1)) };
  };
  const all = Object.values(latencies).flat();
  return { total: summary(all), ...Object.fromEntries(Object.entries(latencies).map(([k, v]) => [k, summary(v)])), errors };
});
console.log(JSON.stringify({ machine: machine(), bots, seconds, ...result }, null, 2));
