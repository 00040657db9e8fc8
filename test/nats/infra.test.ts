import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { connectBus } from "@symphony/kit";
import { testDatabaseUrl } from "@symphony/kit/testing";
import { expect, it } from "vitest";
import { ensureInfra } from "../../scripts/infra.js";
import { DEFAULT_NATS_NAMES, ensureNatsCredentials } from "../../scripts/nats-auth.js";

it("starts the private NATS with the authorization, and says a shared NATS has none", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "infra-nats-"));
  const credentials = ensureNatsCredentials(join(dataDir, "keys", "nats"), DEFAULT_NATS_NAMES);
  const options = { dataDir, log: () => {}, allowInstall: false, natsAuthorization: credentials.configFile };
  // Nothing listens on port 1: the private server starts.
  const infra = await ensureInfra({ ...options, shared: { databaseUrl: testDatabaseUrl(), natsUrl: "nats://127.0.0.1:1" }, ports: { postgres: 0, nats: 0 } });
  try {
    expect(infra.natsAuthorized).toBe(true);
    await expect(connect({ servers: infra.natsUrl, reconnect: false })).rejects.toThrow(/authorization/i);
    const bus = await connectBus(infra.natsUrl, "pod", { nkeySeedFile: credentials.seedFiles.pod });
    await bus.close();
    // A second start reuses the running private server, which keeps its authorization.
    const again = await ensureInfra({ ...options, shared: { databaseUrl: testDatabaseUrl(), natsUrl: "nats://127.0.0.1:1" } });
    expect([again.natsUrl, again.natsAuthorized]).toEqual([infra.natsUrl, true]);
    // A NATS this module did not start has none.
    const shared = await ensureInfra({ ...options, shared: { databaseUrl: testDatabaseUrl(), natsUrl: infra.natsUrl } });
    await shared.stop();
    expect([shared.natsUrl, shared.natsAuthorized]).toEqual([infra.natsUrl, false]);
  } finally {
    await infra.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
