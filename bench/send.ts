// npm run bench:send -- [--bots 32] [--seconds 20] [--warmup 3]
// N concurrent bots send MessageML through the gateway (multipart, as the official clients do)
// for a fixed time, on a mesh started for the run; prints msg/s, latency percentiles and
// each service's peak RSS. The load generator shares the machine with the mesh.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SymphonyBot } from "@symphony/sdk";
import { ensureInfra } from "../scripts/infra.js";
import { startMesh } from "../scripts/mesh.js";
import { dropTestResources } from "../test/e2e/resources.js";
import { provisionBots } from "./provision.js";

const { values } = parseArgs({
  options: { bots: { type: "string", default: "32" }, seconds: { type: "string", default: "20" }, warmup: { type: "string", default: "3" } },
});
const bots = Number(values.bots);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const infra = await ensureInfra({ dataDir: join(process.cwd(), ".data"), log: () => {}, allowInstall: true });
const run = `bench_${randomBytes(3).toString("hex")}`;
const names = { schemaPrefix: run, subjectPrefix: run, eventsStream: run.toUpperCase() };
const mesh = await startMesh({ databaseUrl: infra.databaseUrl, natsUrl: infra.natsUrl, keysDir: join(tmpdir(), run, "keys"), logDir: join(tmpdir(), run, "logs"), ...names });
try {
  const admin = await SymphonyBot.authenticate({ baseUrl: mesh.gatewayUrl, username: "admin", privateKeyPem: readFileSync(mesh.adminKeyPath, "utf8") });
  const senders = await provisionBots(admin, mesh.gatewayUrl, bots);
  const body = `<messageML>Benchmark message with <b>bold</b> text and a <hash tag="bench"/> ${"x".repeat(200)}</messageML>`;

  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const measureFrom = start + warmup * 1000;
  const end = measureFrom + seconds * 1000;
  await Promise.all(
    senders.map(async ({ bot, streamId }) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await bot.sendMessage(streamId, body);
          if (t0 >= measureFrom) latencies.push(performance.now() - t0);
        } catch {
          if (t0 >= measureFrom) errors++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const rss = Object.fromEntries(Object.entries(mesh.pids()).map(([s, pid]) => [s, `${peakRssMiB(pid).toFixed(0)} MiB`]));
  console.log(
    JSON.stringify(
      {
        machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`,
        bots,
        seconds,
        messages: latencies.length,
        errors,
        msgPerSecond: Math.round(latencies.length / seconds),
        p50ms: Number(percentile(latencies, 50).toFixed(1)),
        p99ms: Number(percentile(latencies, 99).toFixed(1)),
        peakRss: rss,
      },
      null,
      2,
    ),
  );
} finally {
  await mesh.stop();
  await dropTestResources(infra.databaseUrl, infra.natsUrl, names);
  await infra.stop();
}
