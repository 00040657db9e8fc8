import { createClient, KEY_MANAGER_TOKEN, CLIENT_TRACE_ID, metadataOf, unary } from "@symphony/kit";
import { KeyManagerServiceClient } from "@symphony/proto/keymanager/v1/keymanager_service";
import { randomBytes } from "node:crypto";
import { appendFileSync, closeSync, openSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import pg from "pg";
import type { SymphonyBot } from "@symphony/sdk";
import { mesh } from "./harness.js";

let operatorClient: KeyManagerServiceClient | undefined;
let agentClient: KeyManagerServiceClient | undefined;

/** The key manager's gRPC API, as internal tools call it directly with the operator certificate. */
export function km(): KeyManagerServiceClient {
  operatorClient ??= createClient(KeyManagerServiceClient, mesh().keyManagerAddr, "keymanager", mesh().meshTls.operator!);
  return operatorClient;
}

// Content keys are released to the agent's identity only.
const agentKm = () => (agentClient ??= createClient(KeyManagerServiceClient, mesh().keyManagerAddr, "keymanager", mesh().meshTls.agent!));

export const kmMetadata = (bot: SymphonyBot, traceId?: string) => metadataOf({ [KEY_MANAGER_TOKEN]: bot.keyManagerToken, [CLIENT_TRACE_ID]: traceId });

export function contentKey(bot: SymphonyBot, streamId: string, rotationId?: number, traceId?: string) {
  return unary(agentKm(), agentKm().getContentKey, { streamId, rotationId }, kmMetadata(bot, traceId));
}

/** Runs one query against the e2e run's database (schema names carry the run prefix). */
export async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: mesh().databaseUrl });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** The rotation id in a stored message's envelope header. */
export async function storedRotation(messageId: string): Promise<number> {
  const [row] = await query<{ ciphertext: Buffer }>(`select ciphertext from "${mesh().schemaPrefix}_pod".messages where id = $1`, [messageId]);
  return row!.ciphertext.readUInt32BE(1);
}

/**
 * Adds a new master key version to the mesh's key file, as an operator rotating the KEK
 * would; a lock file keeps test files running in parallel from picking the same version.
 */
export async function addMasterKeyVersion(): Promise<number> {
  const keyFile = join(mesh().keysDir, "km-master.keys");
  const lock = `${keyFile}.lock`;
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    const version = Math.max(...readFileSync(keyFile, "utf8").trim().split("\n").map((l) => Number(l.split(" ")[0]))) + 1;
    appendFileSync(keyFile, `${version} ${randomBytes(32).toString("base64")}\n`);
    return version;
  } finally {
    unlinkSync(lock);
  }
}

/** How many messages of the run's JetStream events stream contain the bytes. */
export async function natsStreamContains(needle: Buffer | string): Promise<number> {
  const nc = await connect({ servers: mesh().natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(mesh().eventsStream);
    let hits = 0;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(mesh().eventsStream, { seq }).catch(() => undefined);
      if (m && Buffer.from(m.data).includes(needle)) hits++;
    }
    return hits;
  } finally {
    await nc.close();
  }
}
