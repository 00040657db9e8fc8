import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { CallGuard, createClient, createLogger, metadataOf, openDb, SESSION_AUDIENCE, SESSION_TOKEN, startGrpcServer, TokenIssuer, TokenVerifier, unary, type RunningServer } from "@symphony/kit";
import { meshPki, type MeshPki } from "@symphony/kit/pki";
import { dropSchema, testDatabaseUrl, uniqueName } from "@symphony/kit/testing";
import { DeadLetterServiceClient, DeadLetterServiceService } from "@symphony/proto/pod/v1/dead_letter_service";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PodDeps } from "./context.js";
import { streamEvent } from "./events.js";
import { migrations } from "./migrations/index.js";
import type { PodDatabase } from "./schema.js";
import { deadLetterService } from "./service.js";
import { podStores, type PodStores } from "./stores.js";

const schema = uniqueName("test_pod_dead_letter_rpc");
const logger = createLogger("test", "silent");
let dir: string;
let pki: MeshPki;
let db: Kysely<PodDatabase>;
let stores: PodStores;
let sessions: TokenIssuer;
let server: RunningServer;
let woken = 0;
const tokens: Record<string, string> = {};

const account = (username: string, roles: string[]) => ({
  username,
  email: `${username}@x.io`,
  display_name: username,
  first_name: "",
  last_name: "",
  account_type: "SYSTEM",
  roles,
  attributes: "{}",
  created_at: 1,
  created_by: null,
  updated_at: 1,
});

const client = (identity: string) => createClient(DeadLetterServiceClient, `127.0.0.1:${server.port}`, "pod", pki.identity(identity));
const as = (username: string) => metadataOf({ [SESSION_TOKEN]: tokens[username] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pod-dl-rpc-"));
  pki = meshPki(join(dir, "pki"));
  db = await openDb<PodDatabase>({ url: testDatabaseUrl(), schema, migrations });
  stores = podStores(db);
  const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  sessions = await TokenIssuer.fromPem(pem, SESSION_AUDIENCE, 600);
  const verifier = new TokenVerifier(SESSION_AUDIENCE, async () => sessions.jwks);
  for (const [name, roles] of [["ops", ["INDIVIDUAL", "ADMINISTRATOR"]], ["bot", ["INDIVIDUAL"]]] as const) {
    const user = await stores.users.create(account(name, [...roles]));
    tokens[name] = await sessions.issue(user!.id, name);
  }
  const guard = new CallGuard({
    logger,
    trustDomain: pki.trustDomain,
    authenticators: {
      session: (token) => verifier.verify(token),
      roles: async (p) => (await stores.users.byId(p.userId))?.roles ?? [],
    },
  });
  const deps = { stores, sessions, verifier, published: () => woken++, accessRevoked: () => undefined } as unknown as PodDeps;
  server = await startGrpcServer({
    port: 0,
    host: "127.0.0.1",
    tls: pki.identity("pod"),
    logger,
    services: [{ name: "symphony.pod.v1.DeadLetterService", definition: DeadLetterServiceService, implementation: guard.serve(DeadLetterServiceService, deadLetterService(deps, logger)) }],
  });
  // Two rows the relay gave up on.
  for (const reason of ["payload of 2000000 bytes exceeds the bus limit of 1046528 bytes", "no responders"]) {
    const row = streamEvent("MESSAGESENT", { id: "s1", type: "ROOM" }, 1, 5);
    await stores.outbox.to(row, [1]);
    const [locked] = await stores.outbox.lockUnpublished(1, Date.now());
    await stores.deadLetters.recordFailures([{ row: locked!, reason, permanent: true }], 10);
  }
});

afterAll(async () => {
  await server.drain(0);
  await db.destroy();
  await dropSchema(schema);
  rmSync(dir, { recursive: true, force: true });
});

describe("DeadLetterService", () => {
  it("lists dead letters to an administrator calling with the operator identity", async () => {
    const ops = client("operator");
    const res = await unary(ops, ops.listDeadLetters, { afterId: 0, limit: 0 }, as("ops"));
    expect(res.deadLetters.map((d) => [d.eventType, d.recipients, d.attempts, d.reason])).toEqual([
      ["MESSAGESENT", 1, 1, expect.stringMatching(/exceeds the bus limit/)],
      ["MESSAGESENT", 1, 1, "no responders"],
    ]);
    const next = await unary(ops, ops.listDeadLetters, { afterId: res.deadLetters[0]!.id, limit: 10 }, as("ops"));
    expect(next.deadLetters.map((d) => d.reason)).toEqual(["no responders"]);
  });

  it("refuses a user without an admin role, and any service but the operator", async () => {
    const ops = client("operator");
    await expect(unary(ops, ops.listDeadLetters, { afterId: 0, limit: 0 }, as("bot"))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const agent = client("agent");
    await expect(unary(agent, agent.replayDeadLetters, { ids: [], all: true }, as("ops"))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(unary(ops, ops.listDeadLetters, { afterId: 0, limit: 0 })).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it("answers bad arguments with INVALID_ARGUMENT", async () => {
    const ops = client("operator");
    await expect(unary(ops, ops.listDeadLetters, { afterId: -1, limit: 0 }, as("ops"))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(unary(ops, ops.listDeadLetters, { afterId: 0, limit: 5000 }, as("ops"))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(unary(ops, ops.replayDeadLetters, { ids: [], all: false }, as("ops"))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(unary(ops, ops.replayDeadLetters, { ids: [1], all: true }, as("ops"))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it("replays named dead letters, then all, back into the outbox and wakes the relay", async () => {
    const ops = client("operator");
    const { deadLetters } = await unary(ops, ops.listDeadLetters, { afterId: 0, limit: 0 }, as("ops"));
    expect(await unary(ops, ops.replayDeadLetters, { ids: [deadLetters[1]!.id], all: false }, as("ops"))).toEqual({ replayed: 1 });
    expect(woken).toBe(1);
    expect(await stores.outbox.backlog()).toBe(1);
    expect(await unary(ops, ops.replayDeadLetters, { ids: [], all: true }, as("ops"))).toEqual({ replayed: 1 });
    expect(await stores.outbox.backlog()).toBe(2);
    expect((await unary(ops, ops.listDeadLetters, { afterId: 0, limit: 0 }, as("ops"))).deadLetters).toEqual([]);
  });
});
