import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SymphonyBot } from "@symphony/sdk";
import { ensureInfra, type Infra } from "../../scripts/infra.js";
import { startMesh, type Mesh, type MeshOptions } from "../../scripts/mesh.js";
import { provisionBot, validatingFetch, type TestBot } from "./harness.js";
import { dropTestResources } from "./resources.js";

export interface PrivateMesh {
  mesh: Mesh;
  infra: Infra;
  /** Prefix of this mesh's schemas (`<prefix>_pod`…). */
  schemaPrefix: string;
  workDir: string;
  admin: SymphonyBot;
  newBot(prefix?: string, roles?: string[]): Promise<TestBot>;
  stop(): Promise<void>;
}

/**
 * A whole mesh of its own on the shared Postgres and NATS (own schemas, subjects and streams), for
 * tests that change what other test files rely on: configuration, entitlements, stopped services.
 */
export async function startPrivateMesh(name: string, serviceEnv: MeshOptions["serviceEnv"] = {}): Promise<PrivateMesh> {
  const run = `${name}_${randomBytes(3).toString("hex")}`;
  const names = { schemaPrefix: run, subjectPrefix: run, eventsStream: run.toUpperCase() };
  const workDir = join(tmpdir(), run);
  const infra = await ensureInfra({ dataDir: join(process.cwd(), ".data"), log: () => {}, allowInstall: true });
  const mesh = await startMesh({
    databaseUrl: infra.databaseUrl,
    natsUrl: infra.natsUrl,
    keysDir: join(workDir, "keys"),
    logDir: join(workDir, "logs"),
    serviceEnv,
    ...names,
  });
  const admin = await SymphonyBot.authenticate({ baseUrl: mesh.gatewayUrl, username: "admin", privateKeyPem: readFileSync(mesh.adminKeyPath, "utf8"), fetch: validatingFetch });
  return {
    mesh,
    infra,
    schemaPrefix: run,
    workDir,
    admin,
    newBot: (prefix, roles) => provisionBot(admin, mesh.gatewayUrl, prefix, roles),
    stop: async () => {
      await mesh.stop();
      await dropTestResources(infra.databaseUrl, infra.natsUrl, names);
      await infra.stop();
    },
  };
}
