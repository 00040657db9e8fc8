import { connectBus, createLogger, newSymphonyId, openDb, type Bus } from "@symphony/kit";
import { dropSchema, testDatabaseUrl, testNatsUrl, uniqueName } from "@symphony/kit/testing";
import { Event, RoomCreated } from "@symphony/proto/events/v1/events";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamEvent } from "./events.js";
import { migrations } from "./migrations/index.js";
import { ensureEventsStream, OutboxRelay, type EventsTopology } from "./outbox-relay.js";
import type { PodDatabase } from "./schema.js";
import { podStores, type PodStores } from "./stores.js";

const schema = uniqueName("test_pod_relay");
const topology: EventsTopology = { streamName: schema.toUpperCase(), subjectPrefix: schema };
let db: Kysely<PodDatabase>;
let stores: PodStores;
let bus: Bus;
let relay: OutboxRelay;

const user = (username: string) => ({
  username,
  email: `${username}@x.io`,
  display_name: username,
  first_name: "",
  last_name: "",
  account_type: "SYSTEM",
  roles: ["INDIVIDUAL"],
  attributes: "{}",
  created_at: 1,
  created_by: null,
  updated_at: 1,
});

beforeAll(async () => {
  db = await openDb<PodDatabase>({ url: testDatabaseUrl(), schema, migrations });
  stores = podStores(db);
  bus = await connectBus(testNatsUrl(), "pod-relay-test");
  await ensureEventsStream(bus, topology);
  relay = new OutboxRelay(stores, bus, topology, createLogger("test", "silent"));
});

afterAll(async () => {
  await bus.jsm.streams.delete(topology.streamName);
  await bus.close();
  await db.destroy();
  await dropSchema(schema);
});

/** A room with its creator as owner and its ROOMCREATED event, committed together. */
function createRoom(creator: number, name: string, at: number) {
  const room = { id: newSymphonyId(), type: "ROOM" };
  return stores.inTransaction(async (tx) => {
    await tx.streams.insert({ ...room, name, attributes: "{}", created_by: creator, created_at: at });
    await tx.memberships.add(room.id, creator, at, true);
    await tx.outbox.toMembers(room.id, [streamEvent("ROOMCREATED", room, creator, at, { roomCreated: RoomCreated.fromPartial({ name }) })]);
    return room;
  });
}

async function subjectsOnStream(): Promise<string[]> {
  const info = await bus.jsm.streams.info(topology.streamName, { subjects_filter: ">" });
  return Object.keys(info.state.subjects ?? {}).sort();
}

describe("outbox relay", () => {
  it("publishes each committed event once to each recipient fixed at write time, and marks it published", async () => {
    const [alice, bob] = [(await stores.users.create(user("alice")))!, (await stores.users.create(user("bob")))!];
    const room = await createRoom(alice.id, "r", 5);
    await stores.inTransaction(async (tx) => {
      await tx.memberships.add(room.id, bob.id, 6);
      await tx.outbox.toMembers(room.id, [streamEvent("USERJOINEDROOM", room, alice.id, 6, { membershipChanged: { affectedUserId: bob.id } })]);
    });
    const streamId = room.id;

    expect(await relay.publishBatch()).toBe(2);
    expect(await relay.publishBatch()).toBe(0);
    expect(await subjectsOnStream()).toEqual(
      // Bob joined after the room was created: he hears of his joining, not of the creation.
      [`${schema}.events.user.${alice.id}.ROOMCREATED`, `${schema}.events.user.${alice.id}.USERJOINEDROOM`, `${schema}.events.user.${bob.id}.USERJOINEDROOM`].sort(),
    );
    const stored = await bus.jsm.streams.getMessage(topology.streamName, { last_by_subj: `${schema}.events.user.${bob.id}.USERJOINEDROOM` });
    expect(Event.decode(stored!.data)).toMatchObject({ type: "USERJOINEDROOM", streamId, membershipChanged: { affectedUserId: bob.id } });
    const unpublished = await db.selectFrom("outbox").select("seq").where("published_at", "is", null).execute();
    expect(unpublished).toEqual([]);
  });

  it("republishing rows after a crash before commit adds no duplicates to the stream", async () => {
    const before = (await bus.jsm.streams.info(topology.streamName)).state.messages;
    await db.updateTable("outbox").set({ published_at: null }).execute();
    expect(await relay.publishBatch()).toBe(2);
    expect((await bus.jsm.streams.info(topology.streamName)).state.messages).toBe(before);
  });

  it("replays what was published within the duplicate window, restoring events NATS lost and duplicating none", async () => {
    const subjects = await subjectsOnStream();
    const count = async () => (await bus.jsm.streams.info(topology.streamName)).state.messages;
    const before = await count();
    expect(await relay.replayRecent()).toBe(2);
    expect(await count()).toBe(before);
    // A NATS server that crashed before syncing its file store comes back without them (here:
    // without the whole stream, as after losing its disk; the pod recreates it on reconnect).
    await bus.jsm.streams.delete(topology.streamName);
    await ensureEventsStream(bus, topology);
    expect(await count()).toBe(0);
    expect(await relay.replayRecent()).toBe(2);
    expect(await subjectsOnStream()).toEqual(subjects);
  });

  it("forgets published rows once they are old", async () => {
    expect(await stores.outbox.prunePublished(Date.now() - 60_000)).toBe(0);
    expect(await stores.outbox.prunePublished(Date.now() + 1)).toBe(2);
    expect(await relay.replayRecent()).toBe(0);
  });

  it("wakes on demand and drains in the background", async () => {
    const carol = (await stores.users.create(user("carol")))!;
    relay.start();
    await createRoom(carol.id, "r2", 7);
    relay.wake();
    await expect.poll(async () => (await subjectsOnStream()).includes(`${schema}.events.user.${carol.id}.ROOMCREATED`), { timeout: 5_000 }).toBe(true);
    await relay.stop();
  });
});
