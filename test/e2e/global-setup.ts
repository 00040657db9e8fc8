import { randomBytes } from "node:crypto";
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { ensureInfra } from "../../scripts/infra.js";
import { startMesh } from "../../scripts/mesh.js";
import { makeClientCa } from "./certificates.js";
import { dropTestResources } from "./resources.js";

export interface E2eMesh {
  gatewayUrl: string;
  gatewayHttpsUrl: string;
  adminKeyPem: string;
  databaseUrl: string;
  natsUrl: string;
  schemaPrefix: string;
  subjectPrefix: string;
  eventsStream: string;
  logDir: string;
  keysDir: string;
  keyManagerAddr: string;
  /** host:port of every service's gRPC server, for tests that call the mesh the way internal tools do. */
  grpcAddresses: Record<"gateway" | "pod" | "keymanager" | "agent" | "objectstore", string>;
  /** Prometheus /metrics URL of every service. */
  metricsUrls: Record<"gateway" | "pod" | "keymanager" | "agent" | "objectstore", string>;
  /** Mesh TLS files by identity name (the five services, "operator", and "intruder": a mesh certificate naming no service). */
  meshTls: Record<string, { caFile: string; certFile: string; keyFile: string; trustDomain: string }>;
  /** CA the gateway trusts for client-certificate authentication. */
  clientCa: { certFile: string; keyFile: string };
}

declare module "vitest" {
  export interface ProvidedContext {
    mesh: E2eMesh;
  }
}

/** One whole mesh (five processes, real Postgres and NATS) for the e2e suite, isolated by name prefixes. */
export default async function setup(project: TestProject) {
  const infra = await ensureInfra({ dataDir: join(process.cwd(), ".data"), log: () => {}, allowInstall: true });
  const run = `e2e_${randomBytes(4).toString("hex")}`;
  const work = mkdtempSync(join(tmpdir(), "symphony-e2e-"));
  const names = { schemaPrefix: run, subjectPrefix: run, eventsStream: run.toUpperCase() };
  const cleanUp = async () => {
    await dropTestResources(infra.databaseUrl, infra.natsUrl, names);
    await infra.stop();
  };
  const clientCa = makeClientCa(join(work, "client-ca"));
  const mesh = await startMesh({
    databaseUrl: infra.databaseUrl,
    natsUrl: infra.natsUrl,
    keysDir: join(work, "keys"),
    tlsDir: join(work, "tls"),
    logDir: join(work, "logs"),
    // Short long polls keep datafeed tests quick; the 30 s ack wait is the real one.
    serviceEnv: { gateway: { CLIENT_CA_FILE: clientCa.certFile }, agent: { DATAFEED_POLL_MS: "2000" } },
    ...names,
  }).catch(async (err: unknown) => {
    await cleanUp();
    throw err;
  });
  project.provide("mesh", {
    gatewayUrl: mesh.gatewayUrl,
    gatewayHttpsUrl: mesh.gatewayHttpsUrl ?? "",
    adminKeyPem: readFileSync(mesh.adminKeyPath, "utf8"),
    databaseUrl: infra.databaseUrl,
    natsUrl: infra.natsUrl,
    logDir: join(work, "logs"),
    keysDir: join(work, "keys"),
    keyManagerAddr: mesh.grpcAddresses.keymanager,
    grpcAddresses: mesh.grpcAddresses,
    meshTls: Object.fromEntries(["gateway", "pod", "keymanager", "agent", "objectstore", "operator", "intruder"].map((n) => [n, mesh.meshIdentity(n)])),
    metricsUrls: mesh.metricsUrls,
    clientCa,
    ...names,
  });
  return async () => {
    await mesh.stop();
    await cleanUp();
  };
}
