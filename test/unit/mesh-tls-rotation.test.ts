// A renewed mesh certificate reaches a running server without a restart, the way Kubernetes delivers
// it: the kubelet writes a Secret's new files into a fresh directory and swaps the `..data` symlink
// the mounted names point through, in one rename. The server (kit's startGrpcServer over
// grpc-js's FileWatcherCertificateProvider) re-reads its files every 30 s; new connections then get
// the new certificate while calls keep working. This waits for one real refresh (up to ~31 s).
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { Client, Metadata } from "@grpc/grpc-js";
import { channelCredentials, channelOptions, createLogger, startGrpcServer, type MeshTls, type RunningServer } from "@symphony/kit";
import { meshPki, type MeshPki } from "@symphony/kit/pki";
import { afterAll, beforeAll, expect, it } from "vitest";

const logger = createLogger("test", "silent");
const work = mkdtempSync(join(tmpdir(), "mesh-tls-rotation-"));
let pki: MeshPki;
let mount: MeshTls;
let server: RunningServer;
let generation = 0;

/** Writes the pod identity's current files as the kubelet updates a Secret volume: one atomic swap. */
function publishSecret(dir: string): void {
  const source = pki.identity("pod");
  const version = join(dir, `..version-${++generation}`);
  mkdirSync(version);
  copyFileSync(pki.caFile, join(version, "ca.crt"));
  copyFileSync(source.certFile, join(version, "tls.crt"));
  copyFileSync(source.keyFile, join(version, "tls.key"));
  symlinkSync(version, join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  for (const name of ["ca.crt", "tls.crt", "tls.key"]) {
    try {
      symlinkSync(join("..data", name), join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

/** cert-manager's renewal: a new key and certificate from the same CA, with a new serial. */
function reissuePod(): void {
  const { certFile, keyFile } = pki.identity("pod");
  unlinkSync(certFile);
  unlinkSync(keyFile);
  pki.identity("pod");
}

const serialOf = (pem: string) => new X509Certificate(pem).serialNumber.toUpperCase();

/** The serial of the certificate a new mutual-TLS connection to the server is shown. */
function servedSerial(client: MeshTls): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port: server.port,
      ca: readFileSync(client.caFile),
      cert: readFileSync(client.certFile),
      key: readFileSync(client.keyFile),
      // As mesh clients do: SNI names the service, h2 is the protocol.
      servername: "pod",
      ALPNProtocols: ["h2"],
      // Mesh clients check the URI SAN (kit's channelCredentials), not the host name.
      checkServerIdentity: () => undefined,
    });
    socket.once("secureConnect", () => {
      const serial = socket.getPeerCertificate().serialNumber.toUpperCase();
      socket.destroy();
      resolve(serial);
    });
    socket.once("error", reject);
  });
}

async function until<T>(attempt: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

// grpc.health.v1.Health/Check of the whole server: an empty request; SERVING is the bytes 08 01.
const SERVING = Buffer.from([8, 1]);
function healthCheck(client: Client): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest("/grpc.health.v1.Health/Check", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata(), (err, res) =>
      err ? reject(err) : resolve(res!),
    ),
  );
}

beforeAll(async () => {
  pki = meshPki(join(work, "pki"));
  const secretDir = join(work, "secret");
  mkdirSync(secretDir);
  publishSecret(secretDir);
  mount = { caFile: join(secretDir, "ca.crt"), certFile: join(secretDir, "tls.crt"), keyFile: join(secretDir, "tls.key"), trustDomain: pki.trustDomain };
  server = await startGrpcServer({ port: 0, host: "127.0.0.1", tls: mount, services: [], logger });
});

afterAll(async () => {
  await server?.drain(1_000);
  rmSync(work, { recursive: true, force: true });
});

it("serves a renewed certificate to new connections within the refresh interval, without a restart", async () => {
  const gateway = pki.identity("gateway");
  const first = serialOf(readFileSync(mount.certFile, "utf8"));
  // grpc-js reads the files asynchronously after the bind: until then a handshake is dropped.
  expect(await until(() => servedSerial(gateway), 5_000)).toBe(first);
  // A long-lived channel, as every service keeps to its peers.
  const channel = new Client(`127.0.0.1:${server.port}`, channelCredentials(gateway, "pod"), channelOptions("pod"));
  expect(await healthCheck(channel)).toEqual(SERVING);

  reissuePod();
  publishSecret(join(work, "secret"));
  const second = serialOf(readFileSync(mount.certFile, "utf8"));
  expect(second).not.toBe(first);

  const started = Date.now();
  let served = first;
  while (served === first && Date.now() - started < 40_000) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    served = await servedSerial(gateway);
  }
  expect(served, "a new connection's certificate after the refresh interval").toBe(second);
  // grpc-js's refresh is every 30 s: the swap is seen at the next one, never later.
  expect(Date.now() - started).toBeLessThan(32_000);

  // Same server, same port: the existing channel still works, and a new one checks the new
  // certificate's identity as mesh clients do.
  expect(await healthCheck(channel)).toEqual(SERVING);
  const fresh = new Client(`127.0.0.1:${server.port}`, channelCredentials(gateway, "pod"), channelOptions("pod"));
  expect(await healthCheck(fresh)).toEqual(SERVING);
  channel.close();
  fresh.close();
}, 60_000);
