import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { SymphonyBot } from "@symphony/sdk";
import { ensureInfra, type Infra } from "../scripts/infra.js";
import { startMesh, type Mesh, type MeshOptions } from "../scripts/mesh.js";
import { dropTestResources } from "../test/e2e/resources.js";

export const machine = () => `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`;

export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Runs `body` against a mesh of its own (own schemas and streams), then removes all of it. */
export async function withMesh<T>(options: Pick<MeshOptions, "nodeArgs" | "serviceEnv">, body: (mesh: Mesh, admin: SymphonyBot) => Promise<T>): Promise<T> {
  const infra: Infra = await ensureInfra({ dataDir: join(process.cwd(), ".data"), log: () => {}, allowInstall: true });
  const run = `bench_${randomBytes(3).toString("hex")}`;
  const names = { schemaPrefix: run, subjectPrefix: run, eventsStream: run.toUpperCase() };
  const mesh = await startMesh({ databaseUrl: infra.databaseUrl, natsUrl: infra.natsUrl, keysDir: join(tmpdir(), run, "keys"), logDir: join(tmpdir(), run, "logs"), ...options, ...names });
  try {
    const admin = await SymphonyBot.authenticate({ baseUrl: mesh.gatewayUrl, username: "admin", privateKeyPem: readFileSync(mesh.adminKeyPath, "utf8") });
    return await body(mesh, admin);
  } finally {
    await mesh.stop();
    await dropTestResources(infra.databaseUrl, infra.natsUrl, names);
    await infra.stop();
  }
}

export interface SendResult {
  messages: number;
  errors: number;
  msgPerSecond: number;
  p50ms: number;
  p99ms: number;
  cpuOfOneCore: Record<string, string>;
  peakRss: Record<string, string>;
}

/**
 * Every sender posts MessageML in a closed loop for `seconds` after `warmup`, as multipart/form-data
 * like the official clients. The body is encoded once so the load generator spends its share of
 * the CPU on requests rather than on building them.
 */
export async function sendLoad(mesh: Mesh, senders: { bot: SymphonyBot; streamId: string }[], seconds: number, warmup: number): Promise<SendResult> {
  const messageML = `<messageML>Benchmark message with <b>bold</b> text and a <hash tag="bench"/> ${"x".repeat(200)}</messageML>`;
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
  let errors = 0;
  const cpuSnapshot = () => Object.fromEntries(Object.entries(mesh.pids()).map(([s, pid]) => [s, cpuSeconds(pid)]));
  let cpuAtStart: Record<string, number> = {};
  const start = performance.now();
  const measureFrom = start + warmup * 1000;
  const end = measureFrom + seconds * 1000;
  const snapshot = setTimeout(() => (cpuAtStart = cpuSnapshot()), warmup * 1000);
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
  clearTimeout(snapshot);
  const cpuAtEnd = cpuSnapshot();
  latencies.sort((a, b) => a - b);
  return {
    messages: latencies.length,
    errors,
    msgPerSecond: Math.round(latencies.length / seconds),
    p50ms: Number(percentile(latencies, 50).toFixed(1)),
    p99ms: Number(percentile(latencies, 99).toFixed(1)),
    cpuOfOneCore: Object.fromEntries(Object.entries(cpuAtEnd).map(([s, v]) => [s, `${(((v - (cpuAtStart[s] ?? 0)) / seconds) * 100).toFixed(0)}%`])),
    peakRss: Object.fromEntries(Object.entries(mesh.pids()).map(([s, pid]) => [s, `${peakRssMiB(pid).toFixed(0)} MiB`])),
  };
}
