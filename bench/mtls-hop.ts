// npm run bench:mtls -- [--concurrency 32] [--seconds 10] [--connections 200]
// The cost of mutual TLS on one gRPC hop, against a floor measured in the same run: the same
// unary call (grpc.health.v1 Check) on a kit server with the mesh's mTLS and on a plaintext
// grpc-js server (the floor; the mesh itself has no plaintext mode), in alternating one-second
// slices so that a busy machine slows both alike. Also new connections per second (a full mTLS
// handshake each, against a plaintext connect), since established channels are long-lived.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client, credentials, Metadata, Server, ServerCredentials, type ChannelCredentials } from "@grpc/grpc-js";
import { CHANNEL_OPTIONS, channelCredentials, channelOptions, createLogger, startGrpcServer } from "@symphony/kit";
import { meshPki } from "@symphony/kit/pki";
import { HealthImplementation } from "grpc-health-check";
import { machine, percentile } from "./harness.js";

const { values } = parseArgs({
  options: { concurrency: { type: "string", default: "32" }, seconds: { type: "string", default: "10" }, connections: { type: "string", default: "200" } },
});
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);
const connections = Number(values.connections);

const work = mkdtempSync(join(tmpdir(), "bench-mtls-"));
const pki = meshPki(work);
const gateway = pki.identity("gateway");
const mtls = await startGrpcServer({ port: 0, host: "127.0.0.1", tls: pki.identity("pod"), services: [], logger: createLogger("bench", "silent") });
const floor = new Server();
new HealthImplementation({ "": "SERVING" }).addToServer(floor);
const floorPort = await new Promise<number>((resolve, reject) =>
  floor.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
);

interface Target {
  address: string;
  creds: () => ChannelCredentials;
  options: object;
}
const targets: Record<"mtls" | "plaintext", Target> = {
  mtls: { address: `127.0.0.1:${mtls.port}`, creds: () => channelCredentials(gateway, "pod"), options: channelOptions("pod") },
  plaintext: { address: `127.0.0.1:${floorPort}`, creds: () => credentials.createInsecure(), options: CHANNEL_OPTIONS },
};

const check = (client: Client) =>
  new Promise<void>((resolve, reject) =>
    client.makeUnaryRequest("/grpc.health.v1.Health/Check", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );

// Steady state: one long-lived channel per target, as services keep to their peers.
const channels = { mtls: new Client(targets.mtls.address, targets.mtls.creds(), targets.mtls.options), plaintext: new Client(targets.plaintext.address, targets.plaintext.creds(), targets.plaintext.options) };
await Promise.all([check(channels.mtls), check(channels.plaintext)]);
const latencies = { mtls: [] as number[], plaintext: [] as number[] };
let errors = 0;
for (let slice = 0; slice < seconds * 2; slice++) {
  const name = slice % 2 === 0 ? "mtls" : "plaintext";
  const end = performance.now() + 1_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await check(channels[name]);
          latencies[name].push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
}
channels.mtls.close();
channels.plaintext.close();

// New connections: each a fresh channel's first call, alternating the two targets.
const connect = { mtls: [] as number[], plaintext: [] as number[] };
for (let i = 0; i < connections * 2; i++) {
  const name = i % 2 === 0 ? "mtls" : "plaintext";
  const t = targets[name];
  const client = new Client(t.address, t.creds(), t.options);
  const t0 = performance.now();
  await check(client);
  connect[name].push(performance.now() - t0);
  client.close();
}

const summary = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { count: xs.length, p50ms: Number(percentile(sorted, 50).toFixed(2)), p99ms: Number(percentile(sorted, 99).toFixed(2)) };
};
const callsPerSecond = (name: "mtls" | "plaintext") => Math.round(latencies[name].length / seconds);
const connectMean = (name: "mtls" | "plaintext") => connect[name].reduce((a, b) => a + b, 0) / connect[name].length;
console.log(
  JSON.stringify(
    {
      machine: machine(),
      concurrency,
      seconds,
      errors,
      calls: {
        mtls: { perSecond: callsPerSecond("mtls"), ...summary(latencies.mtls) },
        plaintext: { perSecond: callsPerSecond("plaintext"), ...summary(latencies.plaintext) },
        ratioToFloor: Number((callsPerSecond("mtls") / callsPerSecond("plaintext")).toFixed(3)),
      },
      newConnections: {
        mtls: summary(connect.mtls),
        plaintext: summary(connect.plaintext),
        ratioToFloor: Number((connectMean("mtls") / connectMean("plaintext")).toFixed(2)),
      },
    },
    null,
    2,
  ),
);
mtls.server.forceShutdown();
floor.forceShutdown();
rmSync(work, { recursive: true, force: true });
