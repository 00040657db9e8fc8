// `npm start`: the whole mesh on this machine, in the foreground until Ctrl-C or SIGTERM.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureInfra, type Infra } from "./infra.js";
import { startMesh, type Mesh } from "./mesh.js";
import { ensureNatsCredentials, natsNamesFromEnv } from "./nats-auth.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = join(root, ".data");
const log = (line: string) => console.log(`[start] ${line}`);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const port = raw ? Number(raw) : fallback;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`[start] ${name}=${raw} is not a port number`);
    process.exit(2);
  }
  return port;
}

let infra: Infra | undefined;
let mesh: Mesh | undefined;
let stopping = false;
const ownAdminKey = process.env.ADMIN_PUBLIC_KEY_FILE || undefined;

const starting = (async () => {
  const httpPort = portFromEnv("HTTP_PORT", 8080);
  const httpsPort = portFromEnv("HTTPS_PORT", 8443);
  // A private NATS runs with one user per service, each allowed only its own subjects.
  const nats = ensureNatsCredentials(join(dataDir, "keys", "nats"), natsNamesFromEnv(process.env));
  infra = await ensureInfra({ dataDir, log, allowInstall: true, natsAuthorization: nats.configFile });
  if (!infra.natsAuthorized) {
    log(`NATS at ${infra.natsUrl} runs without the mesh's authorization (npm start did not start it with one): the services connect without credentials`);
  }
  mesh = await startMesh({
    databaseUrl: infra.databaseUrl,
    natsUrl: infra.natsUrl,
    keysDir: join(dataDir, "keys"),
    tlsDir: join(dataDir, "tls"),
    adminPublicKeyFile: ownAdminKey,
    natsSeedFiles: infra.natsAuthorized ? nats.seedFiles : undefined,
    httpPort,
    httpsPort,
    onExit: (service, code) => void shutdown(1, `${service} ${code === null ? "was killed" : `exited with code ${code}`}; stopping the mesh`),
  });
  return { infra, mesh };
})();

/** Stops the mesh before the Postgres and NATS it writes to, then exits. */
async function shutdown(code: number, reason?: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (reason) console.error(`[start] ${reason}`);
  // A start still under way finishes (or fails) first, so that the processes it started are stopped too.
  await starting.catch(() => undefined);
  try {
    await mesh?.stop();
    await infra?.stop();
  } catch (err) {
    console.error(`[start] stopping failed: ${message(err)}`);
    code ||= 1;
  }
  process.exit(code);
}

// A second signal means the user does not want to wait for a clean stop.
const onSignal = () => (stopping ? process.exit(130) : void shutdown(0));
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const up = await starting.catch(async (err: unknown) => {
  console.error(`[start] the mesh did not start: ${message(err)}`);
  await shutdown(1);
});
if (up && !stopping) printHowToUse(up.mesh, up.infra);

function printHowToUse(m: Mesh, i: Infra): void {
  const key = ownAdminKey ? "<private key matching ADMIN_PUBLIC_KEY_FILE>" : m.adminKeyPath;
  const https = m.gatewayHttpsUrl ? `\n                 ${m.gatewayHttpsUrl}  (self-signed certificate ${join(dataDir, "tls", "tls.crt")})` : "";
  const post = (path: string) =>
    `curl -s -X POST $GW${path} -H 'content-type: application/json' -d "{\\"token\\":\\"$JWT\\"}" | json .token`;
  console.log(`
Symphony mesh is up.
  REST gateway   ${m.gatewayUrl}${https}
  admin bot      username "admin" (role USER_PROVISIONING), private key ${key}
  Postgres       ${i.databaseUrl}
  NATS           ${i.natsUrl}

A bot logs in with an RS512 JWT {sub, exp: now+240 s} signed by its key, at /login and at /relay,
then sends sessionToken (and keyManagerToken for messages) as headers. In a shell:
  cd ${root}
  GW=${m.gatewayUrl}
  json() { node -p "JSON.parse(require('fs').readFileSync(0, 'utf8'))$1"; }
  JWT=$(npx tsx scripts/sign-jwt.ts admin ${key})
  SESSION=$(${post("/login/pubkey/authenticate")})
  KM=$(${post("/relay/pubkey/authenticate")})
  curl -s $GW/pod/v2/sessioninfo -H "sessionToken: $SESSION"; echo
  ROOM=$(curl -s -X POST $GW/pod/v3/room/create -H "sessionToken: $SESSION" -H 'content-type: application/json' -d '{"name":"hello"}' | json .roomSystemInfo.id)
  curl -s -X POST $GW/agent/v4/stream/$ROOM/message/create -H "sessionToken: $SESSION" -H "keyManagerToken: $KM" --form-string 'message=<messageML>Hello</messageML>'; echo
Official clients (BDK) need only the gateway address (${m.gatewayUrl}, or the https one trusting its certificate),
the bot username and its private key path.

Ctrl-C stops everything.`);
}
