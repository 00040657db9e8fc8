// npm run bench:keys -- [--concurrency 32] [--seconds 10]
// 1. Key releases/s from the key manager: concurrent GetContentKey calls over gRPC, each a
//    membership check with the pod, an unwrap and an audit row.
// 2. The send rate with the agent's key cache warm (default) and cold (KEY_CACHE_TTL_MS=0: every
//    send asks the key manager).
import { parseArgs } from "node:util";
import { createClient, KEY_MANAGER_TOKEN, metadataOf, unary } from "@symphony/kit";
import { KeyManagerServiceClient } from "@symphony/proto/keymanager/v1/keymanager_service";
import { machine, percentile, sendLoad, withMesh } from "./harness.js";
import { provisionBots } from "./provision.js";

const { values } = parseArgs({ options: { concurrency: { type: "string", default: "32" }, seconds: { type: "string", default: "10" } } });
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);

const releases = await withMesh({}, async (mesh, admin) => {
  const senders = await provisionBots(admin, mesh.gatewayUrl, 16);
  // Key releases are the agent's to ask for: the benchmark presents its identity.
  const km = createClient(KeyManagerServiceClient, mesh.grpcAddresses.keymanager, "keymanager", mesh.meshIdentity("agent"));
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const { bot, streamId } = senders[i % senders.length]!;
      const md = metadataOf({ [KEY_MANAGER_TOKEN]: bot.keyManagerToken });
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await unary(km, km.getContentKey, { streamId }, md);
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  km.close();
  latencies.sort((a, b) => a - b);
  return { releasesPerSecond: Math.round(latencies.length / seconds), errors, p50ms: Number(percentile(latencies, 50).toFixed(1)), p99ms: Number(percentile(latencies, 99).toFixed(1)) };
});

const sendWith = (agentEnv: Record<string, string>) =>
  withMesh({ serviceEnv: { agent: agentEnv } }, async (mesh, admin) => {
    const { msgPerSecond, p50ms, p99ms, errors, cpuOfOneCore } = await sendLoad(mesh, await provisionBots(admin, mesh.gatewayUrl, concurrency), seconds, 3);
    return { msgPerSecond, p50ms, p99ms, errors, cpuOfOneCore };
  });
const warm = await sendWith({});
const cold = await sendWith({ KEY_CACHE_TTL_MS: "0" });

console.log(JSON.stringify({ machine: machine(), concurrency, seconds, keyManagerReleases: releases, sendWarmKeyCache: warm, sendColdKeyCache: cold }, null, 2));
