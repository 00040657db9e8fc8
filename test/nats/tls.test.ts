import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connectBus, natsAccessFromEnv } from "@symphony/kit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_NATS_NAMES, ensureNatsCredentials, type NatsCredentials } from "../../scripts/nats-auth.js";
import { ensureSelfSignedCert } from "../../scripts/tls.js";
import { startNatsServer, type TestNatsServer } from "./nats-server.js";

let server: TestNatsServer;
let credentials: NatsCredentials;
let cert: { certFile: string; keyFile: string };

beforeAll(async () => {
  server = await startNatsServer((dir) => {
    credentials = ensureNatsCredentials(join(dir, "creds"), DEFAULT_NATS_NAMES);
    cert = ensureSelfSignedCert(join(dir, "tls"));
    const authorization = readFileSync(credentials.configFile, "utf8");
    return `tls { cert_file: ${JSON.stringify(cert.certFile)}, key_file: ${JSON.stringify(cert.keyFile)} }\n${authorization}`;
  }, (url) => connectBus(url, "agent", { nkeySeedFile: credentials.seedFiles.agent, tls: { caFile: cert.certFile } }));
});

afterAll(() => server?.stop());

it("connects over TLS with NATS_TLS_CA_FILE and the service's seed from NATS_NKEY_SEED_FILE", async () => {
  const access = natsAccessFromEnv({ NATS_TLS_CA_FILE: cert.certFile, NATS_NKEY_SEED_FILE: credentials.seedFiles.agent });
  const bus = await connectBus(server.url, "agent", access);
  expect(bus.nc.info?.tls_required).toBe(true);
  await bus.close();
});

it("refuses a server whose certificate the CA does not vouch for", async () => {
  const other = ensureSelfSignedCert(join(server.dir, "other-ca"));
  const access = natsAccessFromEnv({ NATS_TLS_CA_FILE: other.certFile, NATS_NKEY_SEED_FILE: credentials.seedFiles.agent });
  await expect(connectBus(server.url, "agent", access)).rejects.toThrow(/certificate/i);
});
