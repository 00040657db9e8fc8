// `npm start`: the whole mesh on this machine, in the foreground, until Ctrl-C.
import { join } from "node:path";
import { ensureInfra } from "./infra.js";
import { startMesh } from "./mesh.js";

const dataDir = join(process.cwd(), ".data");
const log = (line: string) => console.log(`[start] ${line}`);

const infra = await ensureInfra({ dataDir, log, allowInstall: true });
let stopping = false;
const mesh = await startMesh({
  databaseUrl: infra.databaseUrl,
  natsUrl: infra.natsUrl,
  keysDir: join(dataDir, "keys"),
  tlsDir: join(dataDir, "tls"),
  adminPublicKeyFile: process.env.ADMIN_PUBLIC_KEY_FILE || undefined,
  httpPort: Number(process.env.HTTP_PORT ?? 8080),
  httpsPort: Number(process.env.HTTPS_PORT ?? 8443),
  onExit: (service, code) => {
    if (stopping) return;
    console.error(`[start] ${service} exited unexpectedly (code ${code}); stopping the mesh`);
    void shutdown(1);
  },
}).catch(async (err: unknown) => {
  console.error(`[start] the mesh did not start: ${(err as Error).message}`);
  await infra.stop();
  process.exit(1);
});

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  await mesh.stop();
  await infra.stop();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

const ownKey = process.env.ADMIN_PUBLIC_KEY_FILE;
const adminKey = ownKey ? `the private key matching ${ownKey}` : mesh.adminKeyPath;
console.log(`
Symphony mesh is up.
  REST gateway   ${mesh.gatewayUrl}
                 ${mesh.gatewayHttpsUrl} (self-signed certificate in .data/tls)
  admin key      ${adminKey}  (service account "admin", role USER_PROVISIONING)

Log in as the admin bot (RS512 JWT {sub, exp} signed with its key), then send both tokens as headers:
  JWT=$(npx tsx scripts/sign-jwt.ts admin ${ownKey ? "<admin private key>" : mesh.adminKeyPath})
  curl -s -X POST ${mesh.gatewayUrl}/login/pubkey/authenticate -H 'content-type: application/json' -d "{\\"token\\":\\"$JWT\\"}"
  curl -s -X POST ${mesh.gatewayUrl}/relay/pubkey/authenticate -H 'content-type: application/json' -d "{\\"token\\":\\"$JWT\\"}"
  curl -s ${mesh.gatewayUrl}/pod/v2/sessioninfo -H "sessionToken: <token from /login>"
Official clients (BDK) need only this config: host ${new URL(mesh.gatewayUrl).host}, bot username, private key path.

Ctrl-C stops everything.`);
