import { randomBytes } from "node:crypto";
import { connectBus, createLogger, DEAD_LETTER_AFTER, newSymphonyId, openDb, type Bus } from "@symphony/kit";
import { dropSchema, startPrivateNats, testDatabaseUrl, uniqueName, type PrivateNats } from "@symphony/kit/testing";
import { SUBJECTS } from "@symphony/proto/contracts";
import { Event } from "@symphony/proto/events/v1/events";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeadLetters } from "./dead-letters.js";
import { streamEvent } from "./events.js";
import { migrations } from "./migrations/index.js";
import { ensureEventsStream, OutboxRelay, type EventsTopology } from "./outbox-relay.js";
import type { PodDatabase } from "./schema.js";
import { podStores, type PodStores } from "./stores.js";

const MAX_PAYLOAD = 64 * 1024;
const schema = uniqueName("test_pod_dead_letters");
const topology: EventsTopology = { streamName: schema.toUpperCase(), subjectPrefix: schema };
let nats: PrivateNats;
let db: Kysely<PodDatabase>;
let stores: PodStores;
let deadLetters: DeadLetters;
let bus: Bus;
let relay: OutboxRelay;
let userId: number;
const streamId = newSymphonyId();

const message = (ciphertextBytes: number) =>
  streamEvent("MESSAGESENT", { id: streamId, type: "ROOM" }, userId, Date.now(), {
    messageSent: { messageId: newSymphonyId(), ciphertext: randomBytes(ciphertextBytes) },
  });

const formAnswer = (ciphertextBytes: number) =>
  streamEvent("SYMPHONYELEMENTSACTION", { id: streamId, type: "ROOM" }, userId, Date.now(), {
    elementsAction: { formMessageId: newSymphonyId(), actionId: newSymphonyId(), ciphertext: randomBytes(ciphertextBytes) },
  });

const delivered = async (eventId: string) => {
  const stored = await bus.jsm.streams.getMessage(topology.streamName, { last_by_subj: SUBJECTS.userEvent(topology.subjectPrefix, userId, "MESSAGESENT") }).catch(() => null);
  return stored ? Event.decode(stored.data).id === eventId : false;
};

beforeAll(async () => {
  nats = await startPrivateNats({ maxPayload: MAX_PAYLOAD });
  db = await openDb<PodDatabase>({ url: testDatabaseUrl(), schema, migrations });
  stores = podStores(db);
  deadLetters = stores.deadLetters;
  bus = await connectBus(nats.url, "pod-dead-letters-test");
  await ensureEventsStream(bus, topology);
  relay = new OutboxRelay(stores, bus, topology, createLogger("test", "silent"));
  const user = await stores.users.create({
    username: "dl",
    email: "dl@x.io",
    display_name: "dl",
    first_name: "",
    last_name: "",
    account_type: "SYSTEM",
    roles: ["INDIVIDUAL"],
    attributes: "{}",
    created_at: 1,
    created_by: null,
    updated_at: 1,
  });
  userId = user!.id;
});

afterAll(async () => {
  await relay.stop();
  await bus.nc.close();
  await nats.stop();
  await db.destroy();
  await dropSchema(schema);
});

describe("dead letters", () => {
  it("reads the bus limit from the server", () => {
    expect(bus.nc.info?.max_payload).toBe(MAX_PAYLOAD);
  });

  it("publishes a message event larger than the server's max_payload by reference, without its ciphertext", async () => {
    const big = message(MAX_PAYLOAD);
    await stores.outbox.to(big, [userId]);
    expect(await relay.publishBatch()).toBe(1);
    const stored = await bus.jsm.streams.getMessage(topology.streamName, { last_by_subj: SUBJECTS.userEvent(topology.subjectPrefix, userId, "MESSAGESENT") });
    const event = Event.decode(stored!.data);
    expect(event.id).toBe(big.event_id);
    expect(event.messageSent?.messageId).toBe(Event.decode(big.payload).messageSent!.messageId);
    expect(event.messageSent?.ciphertext).toHaveLength(0);
    expect(await deadLetters.list(0, 10)).toEqual([]);
  });

  it("moves any other event larger than the server's max_payload to the dead letters at once, and the next small one still reaches JetStream", async () => {
    const big = formAnswer(MAX_PAYLOAD);
    const small = message(100);
    await stores.outbox.to(big, [userId]);
    await stores.outbox.to(small, [userId]);

    expect(await relay.publishBatch()).toBe(2);
    expect(await delivered(small.event_id)).toBe(true);
    expect(await stores.outbox.backlog()).toBe(0);
    const [letter, ...more] = await deadLetters.list(0, 10);
    expect(more).toEqual([]);
    expect(letter).toMatchObject({ eventId: big.event_id, streamId, eventType: "SYMPHONYELEMENTSACTION", recipients: 1, attempts: 1 });
    expect(letter!.reason).toMatch(/exceeds the bus limit/);
    // The operator's view carries sizes and reasons, never the content.
    expect(JSON.stringify(letter)).not.toContain(Event.decode(big.payload).elementsAction!.actionId);
  });

  it("retries a row the bus rejects, spaced out, then dead-letters it after a bounded number of attempts while later rows flow", async () => {
    // JetStream refuses what its stream does not accept, though the connection would carry it.
    await bus.jsm.streams.update(topology.streamName, { max_msg_size: 16 * 1024 });
    const rejected = message(32 * 1024);
    const after = message(10);
    await stores.outbox.to(rejected, [userId]);
    await stores.outbox.to(after, [userId]);

    expect(await relay.publishBatch()).toBe(2);
    expect(await delivered(after.event_id)).toBe(true);
    for (let attempt = 2; attempt <= DEAD_LETTER_AFTER; attempt++) {
      // Not due yet: the relay waits before trying the row again.
      expect(await relay.publishBatch()).toBe(0);
      await db.updateTable("outbox").set({ next_attempt_at: 0 }).where("event_id", "=", rejected.event_id).execute();
      expect(await relay.publishBatch()).toBe(1);
    }
    expect(await stores.outbox.backlog()).toBe(0);
    const letters = await deadLetters.list(0, 10);
    expect(letters.map((l) => [l.eventId, l.attempts])).toEqual([
      [expect.any(String), 1],
      [rejected.event_id, DEAD_LETTER_AFTER],
    ]);
  });

  it("puts replayed dead letters back on the bus once the cause is mended", async () => {
    await bus.jsm.streams.update(topology.streamName, { max_msg_size: -1 });
    const [, rejected] = await deadLetters.list(0, 10);
    expect(await deadLetters.replay([rejected!.id])).toBe(1);
    expect(await relay.publishBatch()).toBe(1);
    expect(await delivered(rejected!.eventId)).toBe(true);
    // Replaying everything puts the oversized one back; the bus still refuses it, at once.
    expect(await deadLetters.replay([])).toBe(1);
    expect(await relay.publishBatch()).toBe(1);
    expect((await deadLetters.list(0, 10)).map((l) => l.reason)).toEqual([expect.stringMatching(/exceeds the bus limit/)]);
  });

  it("counts nothing against the rows while the bus is down", { timeout: 30_000 }, async () => {
    const row = message(10);
    await stores.outbox.to(row, [userId]);
    await nats.stop();
    await expect(relay.publishBatch()).rejects.toThrow();
    const [stored] = await db.selectFrom("outbox").select(["attempts", "next_attempt_at"]).where("event_id", "=", row.event_id).execute();
    expect(stored).toEqual({ attempts: 0, next_attempt_at: null });
  });
});
