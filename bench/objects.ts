// npm run bench:objects -- [--writers 16] [--seconds 10] [--warmup 2] [--payload 1024] [--feed-rate 20]
// The Object Store through the gateway with the SDK doing the crypto (content key from the key
// manager wrapped to the bot's RSA key, AES-256-GCM per object, Symphony hash per version):
//   1. stores: `writers` bots, one partition and one room (thread) each, store new objects in a
//      closed loop;
//   2. fetches: the same bots fetch the current version of what they stored and decrypt it;
//   3. feed latency: objects are stored at a fixed rate into a partition a feed subscribes to; a
//      consumer reads it with `for await`; latency = start of the store call → object in the
//      consumer's hands (decrypted).
// Prints rates, p50/p99 latencies, errors and the CPU each service (and the load generator, i.e.
// the SDK) used during stores and fetches.
import { parseArgs } from "node:util";
import { AllegroClient, type AllegroObject } from "@symphony/sdk";
import type { Mesh } from "../scripts/mesh.js";
import { cpuSeconds, machine, peakRssMiB, percentile, withMesh } from "./harness.js";
import { provisionBots } from "./provision.js";

const { values } = parseArgs({
  options: {
    writers: { type: "string", default: "16" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    payload: { type: "string", default: "1024" },
    "feed-rate": { type: "string", default: "20" },
  },
});
const writers = Number(values.writers);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const filler = "x".repeat(Number(values.payload));
const feedRate = Number(values["feed-rate"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Writer {
  allegro: AllegroClient;
  threadId: string;
  partition: { hash: string };
  stored: AllegroObject[];
}

/** Runs `op` in a closed loop per writer; counts and times what starts after the warm-up. */
async function closedLoop(mesh: Mesh, fleet: Writer[], op: (w: Writer, i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let errors = 0;
  const cpu = () => Object.fromEntries(Object.entries(mesh.pids()).map(([s, pid]) => [s, cpuSeconds(pid)]));
  let cpuAtStart: Record<string, number> = {};
  let sdkCpuAtStart = process.cpuUsage();
  const start = performance.now();
  const measureFrom = start + warmup * 1000;
  const end = measureFrom + seconds * 1000;
  const snapshot = setTimeout(() => {
    cpuAtStart = cpu();
    sdkCpuAtStart = process.cpuUsage();
  }, warmup * 1000);
  await Promise.all(
    fleet.map(async (w) => {
      for (let i = 0; performance.now() < end; i++) {
        const t0 = performance.now();
        try {
          await op(w, i);
          if (t0 >= measureFrom) latencies.push(performance.now() - t0);
        } catch {
          if (t0 >= measureFrom) errors++;
        }
      }
    }),
  );
  clearTimeout(snapshot);
  const cpuAtEnd = cpu();
  const sdkCpu = process.cpuUsage(sdkCpuAtStart);
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Math.round(latencies.length / seconds),
    p50ms: Number(percentile(latencies, 50).toFixed(1)),
    p99ms: Number(percentile(latencies, 99).toFixed(1)),
    errors,
    cpuOfOneCore: {
      ...Object.fromEntries(Object.entries(cpuAtEnd).map(([s, v]) => [s, `${(((v - (cpuAtStart[s] ?? 0)) / seconds) * 100).toFixed(0)}%`])),
      "load generator (SDK)": `${(((sdkCpu.user + sdkCpu.system) / 1e6 / seconds) * 100).toFixed(0)}%`,
    },
  };
}

async function feedLatency(w: Writer) {
  const partition = await w.allegro.upsertPartition(`feed-bench-${Date.now()}`);
  const feed = await w.allegro.upsertFeed(`feed_bench_${Date.now()}`, { partitions: [partition] });
  const latencies: number[] = [];
  const stop = new AbortController();
  const consumer = (async () => {
    for await (const message of w.allegro.feed<{ t: number }>(feed, { signal: stop.signal, waitTimeSeconds: 20 })) {
      const payload = await message.object.payload();
      if (payload) latencies.push(Date.now() - payload.t);
    }
  })();
  const start = Date.now();
  let sent = 0;
  let errors = 0;
  const inflight: Promise<unknown>[] = [];
  while (Date.now() - start < seconds * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * feedRate);
    for (; sent < due; sent++) {
      inflight.push(w.allegro.store({ partition, sortKey: `o-${sent}`, threadId: w.threadId, payload: { t: Date.now(), filler } }).catch(() => errors++));
    }
    await sleep(5);
  }
  await Promise.all(inflight);
  const deadline = Date.now() + 30_000;
  while (latencies.length < sent - errors && Date.now() < deadline) await sleep(100);
  stop.abort();
  await consumer;
  latencies.sort((a, b) => a - b);
  return { targetPerSecond: feedRate, stored: sent - errors, delivered: latencies.length, errors, p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99) };
}

const result = await withMesh({}, async (mesh, admin) => {
  const bots = await provisionBots(admin, mesh.gatewayUrl, writers);
  const fleet: Writer[] = await Promise.all(
    bots.map(async ({ bot, streamId }) => {
      const allegro = new AllegroClient(bot);
      return { allegro, threadId: streamId, partition: await allegro.upsertPartition("bench"), stored: [] };
    }),
  );
  const stores = await closedLoop(mesh, fleet, async (w, i) => {
    w.stored.push(await w.allegro.store({ partition: w.partition, sortKey: `o-${i}`, threadId: w.threadId, payload: { i, filler } }));
  });
  const fetches = await closedLoop(mesh, fleet, async (w, i) => {
    const object = await w.allegro.fetchCurrent(w.stored[i % w.stored.length]!.baseHash);
    if (!(await object.payload())) throw new Error("no payload");
  });
  const feed = await feedLatency(fleet[0]!);
  const peakRss = Object.fromEntries(Object.entries(mesh.pids()).map(([s, pid]) => [s, `${peakRssMiB(pid).toFixed(0)} MiB`]));
  return { stores, fetches, feed, peakRss };
});
console.log(JSON.stringify({ machine: machine(), writers, seconds, payloadBytes: filler.length, ...result }, null, 2));
