// The official Python BDK (the snapshot in ../shared/clients, unmodified) against a mesh of our
// own: provisions two bots, runs every flow in this folder with them, fails on the first error.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SymphonyBot } from "@symphony/sdk";
import { ensureInfra } from "../../scripts/infra.js";
import { startMesh } from "../../scripts/mesh.js";
import { dropTestResources } from "../e2e/resources.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
// Beside the repo, as in CI's clone; SHARED_CLIENTS_DIR points elsewhere (e.g. from a git worktree).
const clients = resolve(process.env.SHARED_CLIENTS_DIR ?? resolve(repo, "../shared/clients"));

function fail(message: string): never {
  console.error(`test:clients: ${message}`);
  process.exit(1);
}

if (!existsSync(join(clients, "bdk-python-env.sh"))) fail(`the official clients are missing: expected ${clients} (a checkout of shared/clients beside the repo)`);
const env = spawnSync("bash", [join(clients, "bdk-python-env.sh")], { encoding: "utf8" });
if (env.status !== 0) fail(`bdk-python-env.sh failed: ${env.stderr}`);
const pythonPath = env.stdout.trim();

async function provision(admin: SymphonyBot, work: string, prefix: string) {
  const username = `${prefix}-${randomBytes(5).toString("hex")}`;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyFile = join(work, `${username}.pem`);
  writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }).toString(), { mode: 0o600 });
  const created = await admin.call<{ userSystemInfo: { id: number } }>("POST", "/pod/v2/admin/user/create", {
    userAttributes: {
      accountType: "SYSTEM",
      userName: username,
      displayName: `Bot ${username}`,
      emailAddress: `${username}@example.com`,
      currentKey: { key: publicKey.export({ type: "spki", format: "pem" }).toString(), action: "SAVE" },
    },
    roles: ["INDIVIDUAL"],
  });
  return { username, keyFile, userId: created.userSystemInfo.id };
}

const infra = await ensureInfra({ dataDir: join(repo, ".data"), log: () => {}, allowInstall: true });
const run = `clients_${randomBytes(4).toString("hex")}`;
const names = { schemaPrefix: run, subjectPrefix: run, eventsStream: run.toUpperCase() };
const work = mkdtempSync(join(tmpdir(), "symphony-clients-"));
let failed = false;
const mesh = await startMesh({
  databaseUrl: infra.databaseUrl,
  natsUrl: infra.natsUrl,
  keysDir: join(work, "keys"),
  logDir: join(work, "logs"),
  // Short long polls: every flow's datafeed goes through quiet polls within seconds.
  serviceEnv: { agent: { DATAFEED_POLL_MS: "1000" } },
  ...names,
});
try {
  const admin = await SymphonyBot.authenticate({ baseUrl: mesh.gatewayUrl, username: "admin", privateKeyPem: readFileSync(mesh.adminKeyPath, "utf8") });
  const url = new URL(mesh.gatewayUrl);
  for (const flow of readdirSync(here).filter((f) => f.endsWith(".py")).sort()) {
    const [a, b] = [await provision(admin, work, "pybot"), await provision(admin, work, "pypeer")];
    const started = Date.now();
    const result = spawnSync("/usr/bin/python3", [join(here, flow)], {
      stdio: "inherit",
      timeout: 120_000,
      env: {
        ...process.env,
        PYTHONPATH: pythonPath,
        MESH_HOST: url.hostname,
        MESH_PORT: url.port,
        BOT_USERNAME: a.username,
        BOT_KEY: a.keyFile,
        BOT_ID: String(a.userId),
        PEER_USERNAME: b.username,
        PEER_KEY: b.keyFile,
        PEER_ID: String(b.userId),
      },
    });
    const ok = result.status === 0;
    console.log(`${ok ? "ok  " : "FAIL"} ${flow} (${Date.now() - started} ms)`);
    if (!ok) failed = true;
  }
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  await mesh.stop();
  await dropTestResources(infra.databaseUrl, infra.natsUrl, names);
  await infra.stop();
}
if (failed) fail(`a flow failed; service logs are in ${join(work, "logs")}`);
