// npm run bench:send -- [--bots 32] [--seconds 20] [--warmup 3] [--profile DIR]
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
  options: { bots: { type: "string", default: "32" }, seconds: { type: "string", default: "20" }, warmup: { type: "string", default: "3" }, profile: { type: "string" } },
});
const bots = Number(values.bots);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const infra = await ensureInfra({ dataDir: join(process.cwd(), ".data"), log: () => {}, allowInstall: true });
const run = `bench_${randomBytes(3).toString("hex")}`;
const names = { schemaPrefix: run, subjectPrefix: run, eventsStream: run.toUpperCase() };
const mesh = await startMesh({ databaseUrl: infra.databaseUrl, natsUrl: infra.natsUrl, keysDir: join(tmpdir(), run, "keys"), logDir: join(tmpdir(), run, "logs"),
  // --profile writes one V8 CPU profile per service (open in Chrome DevTools).
  nodeArgs: values.profile ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`] : [],
  ...names,
});
try {
  const admin = await SymphonyBot.authenticate({ baseUrl: mesh.gatewayUrl, username: "admin", privateKeyPem: readFileSync(mesh.adminKeyPath, "utf8") });
  const senders = await provisionBots(admin, mesh.gatewayUrl, bots);
  const messageML = `<messageML>Benchmark message with <b>bold</b> text and a <hash tag="bench"/> ${"x".repeat(200)}</messageML>`;
  // The same multipart/form-data bytes the official clients send, encoded once so the load
  // generator spends its share of the CPU on requests rather than on building them.
  const boundary = "----symphonybench";
  const body = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\n${messageML}\r\n--${boundary}--\r\n`);
  const send = async (bot: SymphonyBot, streamId: string) => {
    const res = await fetch(`${mesh.gatewayUrl}/agent/v4/stream/${streamId}/message/create`, {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}`, sessionToken: bot.sessionToken, keyManagerToken: bot.keyManagerToken },
      body,
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  };

  const latencies: number[] = [];
  let cpuAtStart: Record<string, number> = {};
  const cpuSnapshot = () => Object.fromEntries(Object.entries(mesh.pids()).map(([s, pid]) => [s, cpuSeconds(pid)]));
  setTimeout(() => (cpuAtStart = cpuSnapshot()), warmup * 1000);
  let errors = 0;
  const start = performance.now();
  const measureFrom = start + warmup * 1000;
  const end = measureFrom + seconds * 1000;
  await Promise.all(
    senders.map(async ({ bot, streamId }) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await send(bot, streamId);
          if (t0 >= measureFrom) latencies.push(performance.now() - t0);
        } catch {
          if (t0 >= measureFrom) errors++;
        }
      }
    }),
  );
  const cpuAtEnd = cpuSnapshot();
  const cpuShare = Object.fromEntries(Object.entries(cpuAtEnd).map(([s, v]) => [s, `${(((v - (cpuAtStart[s] ?? 0)) / seconds) * 100).toFixed(0)}%`]));
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
        cpuOfOneCore: cpuShare,
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
