// The whole mesh, each service a process of its own, on a NATS that runs with the generated
// authorization: every service does its work with its own credentials alone.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { dropSchema, testDatabaseUrl } from "@symphony/kit/testing";
import { SymphonyBot } from "@symphony/sdk";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startMesh, type Mesh } from "../../scripts/mesh.js";
import { ensureNatsCredentials, type NatsNames } from "../../scripts/nats-auth.js";
import { newRoom, provisionBot, validatingFetch } from "../e2e/harness.js";
import { startNatsServer, type TestNatsServer } from "./nats-server.js";

const run = `natsauth_${randomBytes(3).toString("hex")}`;
const names = { schemaPrefix: run, subjectPrefix: run, eventsStream: run.toUpperCase() };
// The names scripts/mesh.ts gives the services for this events stream.
const natsNames: NatsNames = {
  subjectPrefix: run,
  eventsStream: names.eventsStream,
  revocationsBucket: `${names.eventsStream}_REVOKED`,
  objectsStream: `${names.eventsStream}_OBJECTS`,
  entitlementsBucket: `${names.eventsStream}_OBJECTSTORE_ENTITLEMENTS`,
};
const inspector = { user: "inspector", pass: "inspector-password" };

let server: TestNatsServer;
let mesh: Mesh;
let admin: SymphonyBot;

beforeAll(async () => {
  let seedFiles: Record<string, string> = {};
  server = await startNatsServer((dir) => {
    const credentials = ensureNatsCredentials(join(dir, "creds"), natsNames);
    seedFiles = credentials.seedFiles;
    return readFileSync(credentials.configFile, "utf8").replace("users: [\n", `users: [\n    ${JSON.stringify(inspector)},\n`);
  }, (url) => connect({ servers: url, ...inspector, reconnect: false }));
  mesh = await startMesh({
    databaseUrl: testDatabaseUrl(),
    natsUrl: server.url,
    keysDir: join(tmpdir(), run, "keys"),
    logDir: join(tmpdir(), run, "logs"),
    natsSeedFiles: seedFiles,
    ...names,
  });
  admin = await SymphonyBot.authenticate({ baseUrl: mesh.gatewayUrl, username: "admin", privateKeyPem: readFileSync(mesh.adminKeyPath, "utf8"), fetch: validatingFetch });
});

afterAll(async () => {
  await mesh?.stop();
  // The streams go with the server's directory.
  for (const s of ["pod", "keymanager", "objectstore"]) await dropSchema(`${run}_${s}`);
  await server?.stop();
});

it("sends a message to a datafeed and ends a disabled user's sessions, with no permission violation", async () => {
  const alice = await provisionBot(admin, mesh.gatewayUrl, "alice");
  const bob = await provisionBot(admin, mesh.gatewayUrl, "bob");
  const room = await newRoom(alice.bot, [bob]);
  const feed = await bob.bot.call<{ id: string }>("POST", "/agent/v5/datafeeds", {});
  await alice.bot.call("POST", `/agent/v4/stream/${room}/message/create`, { message: "<messageML>through an authorized NATS</messageML>" });
  const read = async (): Promise<{ type: string; payload: Record<string, { message?: { message: string } }> }[]> => {
    const r = await bob.bot.call<{ events?: { type: string; payload: Record<string, { message?: { message: string } }> }[] } | undefined>(
      "POST",
      `/agent/v5/datafeeds/${feed.id}/read`,
      {},
    );
    const events = r?.events ?? [];
    return events.some((e) => e.type === "MESSAGESENT") ? events : read();
  };
  const sent = (await read()).find((e) => e.type === "MESSAGESENT");
  expect(sent?.payload.messageSent?.message?.message).toContain("through an authorized NATS");

  // The pod revokes bob's sessions in the revocation bucket; the agent follows it.
  await admin.call("POST", `/pod/v1/admin/user/${bob.userId}/status/update`, { status: "DISABLED" });
  await expect(bob.bot.call("GET", `/agent/v5/datafeeds`)).rejects.toThrow();

  expect(readFileSync(join(server.dir, "nats.log"), "utf8")).not.toMatch(/violation/i);
});
