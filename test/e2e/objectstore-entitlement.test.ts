import { createClient, metadataOf, SESSION_TOKEN, status, unary } from "@symphony/kit";
import { ObjectStoreAdminServiceClient } from "@symphony/proto/objectstore/v1/objectstore_service";
import { hashToUrlSafe, idHash, namedUserIdObject } from "@symphony/sdk/hash";
import { main } from "@symphony/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestBot } from "./harness.js";
import { startPrivateMesh, type PrivateMesh } from "./private-mesh.js";

// A mesh of its own whose pod starts without the Object Store: switching the entitlement of the
// shared mesh's pod would fail other files' object store calls.
const DISABLED = { code: 403, message: "This feature is disabled for your pod." };
const POD_ID = 1;
let env: PrivateMesh;
let bot: TestBot;

beforeAll(async () => {
  env = await startPrivateMesh("osent", { objectstore: { OBJECTSTORE_ENABLED: "false" } });
  bot = await env.newBot("entitled");
}, 120_000);

afterAll(async () => {
  await env?.stop();
}, 60_000);

describe("object store entitlement", () => {
  const admin = () => createClient(ObjectStoreAdminServiceClient, env.mesh.grpcAddresses.objectstore, "objectstore", env.mesh.operatorTls);
  // Operators switch it with the CLI, signed in as the pod's admin.
  const operatorCli = async (...argv: string[]) => {
    let out = "";
    const a = env.mesh.grpcAddresses;
    const code = await main(argv, {
      out: (t) => (out += t),
      err: (t) => (out += t),
      env: {
        SYMPHONY_POD_ADDR: a.pod,
        SYMPHONY_KEYMANAGER_ADDR: a.keymanager,
        SYMPHONY_OBJECTSTORE_ADDR: a.objectstore,
        SYMPHONY_ADMIN_KEY: env.mesh.adminKeyPath,
        SYMPHONY_TLS_CA: env.mesh.operatorTls.caFile,
        SYMPHONY_TLS_CERT: env.mesh.operatorTls.certFile,
        SYMPHONY_TLS_KEY: env.mesh.operatorTls.keyFile,
      },
    });
    return { code, out };
  };
  const setEnabled = async (enabled: boolean) =>
    expect(await operatorCli("objectstore", "entitle", String(POD_ID), enabled ? "on" : "off")).toEqual({ code: 0, out: `pod ${POD_ID}: object store ${enabled ? "enabled" : "disabled"}\n` });
  const partitionId = () => namedUserIdObject(bot.userId, "entitlement");
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${env.mesh.gatewayUrl}/object/v1${path}`, {
      method,
      headers: { sessionToken: bot.bot.sessionToken, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const everyKindOfCall = () => {
    const partition = hashToUrlSafe(idHash(partitionId()));
    return Promise.all([
      call("POST", "/partitions/upsert", { partitionId: partitionId() }),
      call("GET", `/partitions/${partition}/page`),
      call("PUT", `/objects/${partition}`, {}),
      call("GET", `/objects/${partition}`),
      call("POST", `/feeds/${partition}/objects`, {}),
    ]);
  };

  it("answers every call of an unentitled pod with Allegro's 403, whatever the request", async () => {
    for (const res of await everyKindOfCall()) expect(res).toEqual({ status: 403, body: DISABLED });
  });

  it("lets only the pod's operators change it", async () => {
    const asBot = metadataOf({ [SESSION_TOKEN]: bot.bot.sessionToken });
    await expect(unary(admin(), admin().setEntitlement, { podId: POD_ID, enabled: true }, asBot)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(unary(admin(), admin().setEntitlement, { podId: POD_ID, enabled: true })).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    expect((await operatorCli("objectstore", "entitle", String(POD_ID), "maybe")).code).toBe(2);
  });

  it("follows the entitlement when an operator changes it at run time, both ways", async () => {
    await setEnabled(true);
    const shown = await operatorCli("objectstore", "entitlement", String(POD_ID), "--json");
    expect({ code: shown.code, body: JSON.parse(shown.out) as unknown }).toEqual({ code: 0, body: { podId: POD_ID, enabled: true } });
    await expect.poll(async () => (await call("POST", "/partitions/upsert", { partitionId: partitionId() })).status).toBe(200);
    for (const res of await everyKindOfCall()) expect(res.body).not.toEqual(DISABLED);

    await setEnabled(false);
    await expect.poll(async () => (await call("POST", "/partitions/upsert", { partitionId: partitionId() })).status).toBe(403);
    for (const res of await everyKindOfCall()) expect(res).toEqual({ status: 403, body: DISABLED });
  });
});
