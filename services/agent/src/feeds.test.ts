import { nanos } from "@nats-io/transport-node";
import { connectBus, type Bus } from "@symphony/kit";
import { testNatsUrl, uniqueName } from "@symphony/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeedStore, V4AckState } from "./feeds.js";

const prefix = uniqueName("test_feeds");
const stream = prefix.toUpperCase();
let bus: Bus;

beforeAll(async () => {
  bus = await connectBus(testNatsUrl(), "feeds-test");
  await bus.jsm.streams.add({ name: stream, subjects: [`${prefix}.events.>`], max_age: nanos(600_000) });
});

afterAll(async () => {
  for (const s of [stream, `KV_${stream}_ACKS`]) await bus.jsm.streams.delete(s).catch(() => undefined);
  await bus.close();
});

const publish = (userId: number, n: number) => bus.js.publish(`${prefix}.events.user.${userId}.MESSAGESENT`, new TextEncoder().encode(String(n)));

describe("datafeed store on JetStream", () => {
  it("delivers only the owner's events and acknowledges through the ackId", async () => {
    const feeds = new FeedStore(bus, stream, prefix, 5);
    const feed = await feeds.create(1, "v5");
    await publish(2, 0);
    await publish(1, 1);
    await publish(1, 2);
    const first = await feeds.next(feed, 1000);
    expect(first.messages.map((m) => new TextDecoder().decode(m.data))).toEqual(["1", "2"]);
    await feeds.ack(feed, first.ackId);
    expect((await bus.jsm.consumers.info(stream, feed.consumer)).num_ack_pending).toBe(0);
  });

  it("refuses ackIds that are malformed or belong to another feed", async () => {
    const feeds = new FeedStore(bus, stream, prefix, 5);
    const mine = await feeds.create(3, "v5");
    const other = await feeds.create(4, "v5");
    await publish(4, 9);
    const theirs = await feeds.next(other, 1000);
    await expect(feeds.ack(mine, theirs.ackId)).rejects.toMatchObject({ code: 3 });
    for (const bad of ["%%%", "AAAA", Buffer.from("[1,2]").toString("base64url")]) await expect(feeds.ack(mine, bad)).rejects.toMatchObject({ code: 3 });
  });

  it("forgets a feed nobody reads for the idle TTL: its next read is a 400", async () => {
    const feeds = new FeedStore(bus, stream, prefix, 5, 1500);
    const feed = await feeds.create(5, "v5");
    await expect(feeds.get(5, feed.id, "v5")).resolves.toMatchObject({ consumer: feed.consumer });
    await new Promise((r) => setTimeout(r, 4000));
    await expect(feeds.get(5, feed.id, "v5")).rejects.toMatchObject({ code: 3 });
  });

  it("remembers the last v4 answer for whichever replica serves the next read", async () => {
    const acks = await V4AckState.open(bus, `${stream}_ACKS`);
    const feeds = new FeedStore(bus, stream, prefix, 5);
    const feed = await feeds.create(6, "v4");
    expect(await acks.last(feed)).toBe("");
    await acks.remember(feed, "abc");
    expect(await (await V4AckState.open(bus, `${stream}_ACKS`)).last(feed)).toBe("abc");
  });
});
