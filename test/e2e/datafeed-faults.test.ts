import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SymphonyBot } from "@symphony/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureInfra, type Infra } from "../../scripts/infra.js";
import { startMesh, type Mesh } from "../../scripts/mesh.js";

// Faults need servers of their own to kill: private Postgres and NATS (the shared ones are
// aimed at unused ports so ensureInfra starts them) and a second mesh on top.
const MESSAGES = 2000;
const SENDERS = 8;
const dataDir = mkdtempSync(join(tmpdir(), "symphony-faults-"));
const infraOptions = { dataDir, log: () => {}, allowInstall: true, shared: { databaseUrl: "postgres://postgres@127.0.0.1:1/postgres", natsUrl: "nats://127.0.0.1:2" } };
let infra: Infra;
let started: { databaseUrl: string; natsUrl: string };
let mesh: Mesh;

beforeAll(async () => {
  infra = await ensureInfra(infraOptions);
  started = { databaseUrl: infra.databaseUrl, natsUrl: infra.natsUrl };
  mesh = await startMesh({ databaseUrl: infra.databaseUrl, natsUrl: infra.natsUrl, keysDir: join(dataDir, "keys"), logDir: join(dataDir, "logs") });
}, 120_000);

afterAll(async () => {
  await mesh?.stop();
  await infra?.stop();
}, 60_000);

/** Stops Postgres and NATS and starts them again on the ports the mesh knows. */
async function restartInfra(): Promise<void> {
  const ports = { postgres: Number(new URL(infra.databaseUrl).port), nats: Number(new URL(infra.natsUrl).port) };
  await infra.stop();
  infra = await ensureInfra({ ...infraOptions, ports });
  // The mesh's services keep the addresses they started with.
  expect({ databaseUrl: infra.databaseUrl, natsUrl: infra.natsUrl }).toEqual(started);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries like the official clients: on network errors and 5xx, with backoff; never on 4xx. */
async function retrying<T>(call: () => Promise<Response>, parse: (r: Response) => Promise<T>): Promise<T> {
  for (let delay = 200; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      const res = await call();
      if (res.status < 500) {
        if (!res.ok && res.status !== 204) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        return await parse(res);
      }
      await res.arrayBuffer();
    } catch (err) {
      if ((err as Error).message.startsWith("HTTP 4")) throw err;
    }
    await sleep(delay);
  }
}

describe("datafeed delivery under faults", () => {
  it("every acknowledged send reaches the v5 feed while NATS and Postgres restart and the pod and agent are killed", { timeout: 300_000 }, async () => {
    const admin = await SymphonyBot.authenticate({ baseUrl: mesh.gatewayUrl, username: "admin", privateKeyPem: readFileSync(mesh.adminKeyPath, "utf8") });
    const { generateKeyPairSync } = await import("node:crypto");
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const username = `faulty-${randomBytes(3).toString("hex")}`;
    await admin.call("POST", "/pod/v2/admin/user/create", {
      userAttributes: { accountType: "SYSTEM", userName: username, displayName: username, emailAddress: `${username}@x.io`, currentKey: { key: publicKey.export({ type: "spki", format: "pem" }), action: "SAVE" } },
    });
    const bot = await SymphonyBot.authenticate({ baseUrl: mesh.gatewayUrl, username, privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() });
    const headers = { sessionToken: bot.sessionToken, keyManagerToken: bot.keyManagerToken };
    const json = { ...headers, "content-type": "application/json" };
    const roomId = (await bot.call<{ roomSystemInfo: { id: string } }>("POST", "/pod/v3/room/create", { name: "faults" })).roomSystemInfo.id;
    const feedId = (await bot.call<{ id: string }>("POST", "/agent/v5/datafeeds", {})).id;

    const acknowledged = new Set<string>();
    const received = new Set<string>();
    let sent = 0;
    let sending = true;

    const reader = (async () => {
      let ackId = "";
      while (sending || [...acknowledged].some((id) => !received.has(id))) {
        const body = await retrying(
          () => fetch(`${mesh.gatewayUrl}/agent/v5/datafeeds/${feedId}/read`, { method: "POST", headers: json, body: JSON.stringify({ ackId }) }),
          (r) => r.json() as Promise<{ events?: { type: string; payload: { messageSent?: { message: { messageId: string } } } }[]; ackId?: string }>,
        );
        for (const e of body.events ?? []) if (e.type === "MESSAGESENT") received.add(e.payload.messageSent!.message.messageId);
        ackId = body.ackId ?? "";
      }
    })();

    const faults = [
      { at: MESSAGES * 0.2, name: "NATS and Postgres restart", run: restartInfra },
      { at: MESSAGES * 0.45, name: "pod killed", run: () => mesh.restart("pod") },
      { at: MESSAGES * 0.7, name: "agent killed", run: () => mesh.restart("agent") },
    ];
    const senders = Array.from({ length: SENDERS }, async () => {
      while (sent < MESSAGES) {
        sent++;
        const id = await retrying(
          () => fetch(`${mesh.gatewayUrl}/agent/v4/stream/${roomId}/message/create`, { method: "POST", headers: json, body: JSON.stringify({ message: `<messageML>m${sent}</messageML>` }) }),
          async (r) => ((await r.json()) as { messageId: string }).messageId,
        );
        acknowledged.add(id);
      }
    });
    const injector = (async () => {
      for (const fault of faults) {
        while (sent < fault.at) await sleep(20);
        await fault.run();
      }
    })();
    await Promise.all([...senders, injector]);
    sending = false;
    // Unacknowledged deliveries come back after the 30 s ack wait; give them that and a margin.
    await Promise.race([reader, sleep(90_000)]);

    expect(acknowledged.size).toBeGreaterThanOrEqual(MESSAGES);
    const lost = [...acknowledged].filter((id) => !received.has(id));
    expect(lost.length, `lost ${lost.length} of ${acknowledged.size}`).toBe(0);
  });
});
