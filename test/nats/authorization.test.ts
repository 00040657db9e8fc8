import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connectBus, createLogger, RevocationList, type Bus, type TokenVerifier } from "@symphony/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureNatsCredentials, NATS_SERVICES, type NatsCredentials, type NatsNames, type NatsService } from "../../scripts/nats-auth.js";
import { FeedStore, V4AckState } from "../../services/agent/src/feeds.js";
import { Entitlements } from "../../services/objectstore/src/entitlements.js";
import { ensureObjectsStream, feedSubject, FeedQueues } from "../../services/objectstore/src/feeds.js";
import { SUBJECTS } from "@symphony/proto/contracts";
import { ensureEventsStream } from "../../services/pod/src/outbox-relay.js";
import { startNatsServer, type TestNatsServer } from "./nats-server.js";

// Test meshes use prefixes, so the names are not the defaults: permissions must follow them.
const names: NatsNames = {
  subjectPrefix: "authz",
  eventsStream: "AUTHZ_EVENTS",
  revocationsBucket: "AUTHZ_REVOKED",
  objectsStream: "AUTHZ_OBJECTS",
  entitlementsBucket: "AUTHZ_ENTITLEMENTS",
};
const events = { streamName: names.eventsStream, subjectPrefix: names.subjectPrefix };
const objects = { streamName: names.objectsStream, subjectPrefix: names.subjectPrefix };
// Sees everything, to check what the services could not do; not part of the generated config.
const inspector = { user: "inspector", pass: "inspector-password" };
const logger = createLogger("nats-authorization-test");

let server: TestNatsServer;
let credentials: NatsCredentials;
let inspect: NatsConnection;
const buses = {} as Record<NatsService, Bus>;

beforeAll(async () => {
  server = await startNatsServer((dir) => {
    credentials = ensureNatsCredentials(join(dir, "creds"), names);
    const authorization = readFileSync(credentials.configFile, "utf8");
    return authorization.replace("users: [\n", `users: [\n    ${JSON.stringify(inspector)},\n`);
  }, (url) => connect({ servers: url, ...inspector, reconnect: false }));
  inspect = await connect({ servers: server.url, ...inspector });
  for (const s of NATS_SERVICES) buses[s] = await connectBus(server.url, s, { nkeySeedFile: credentials.seedFiles[s] });
  // What each service does at start, in the order npm start runs them.
  await ensureEventsStream(buses.pod, events);
  await ensureObjectsStream(buses.objectstore, objects);
});

afterAll(async () => {
  for (const b of Object.values(buses)) await b.close();
  await inspect?.close();
  await server?.stop();
});

const seen = () => {
  const revoked = { jtis: [] as string[], users: [] as number[] };
  const verifier = { revoke: (t: { jti: string }) => revoked.jtis.push(t.jti), revokeUserBefore: (u: number) => revoked.users.push(u) };
  return { revoked, verifier: verifier as unknown as TokenVerifier };
};

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 5 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("each service's legitimate NATS operations", () => {
  it("the pod publishes an event and the agent reads and acknowledges it through a durable consumer", async () => {
    const feeds = new FeedStore(buses.agent, names.eventsStream, names.subjectPrefix, 5, 60_000);
    const feed = await feeds.create(7, "v5");
    await buses.pod.js.publish(SUBJECTS.userEvent(names.subjectPrefix, 7, "MESSAGESENT"), new TextEncoder().encode("hello"), { msgID: "e1:7" });
    const { messages, ackId } = await feeds.next(feed, 2_000);
    expect(messages.map((m) => m.string())).toEqual(["hello"]);
    await feeds.ack(feed, ackId);
    expect((await feeds.list(7)).map((f) => f.id)).toEqual([feed.id]);
    const v4 = await V4AckState.open(buses.agent, `${names.eventsStream}_V4_ACKS`, 60_000);
    await v4.remember(feed, ackId);
    expect(await v4.last(feed)).toBe(ackId);
    await feeds.delete(feed);
  });

  it("the pod and the key manager revoke; the agent and the object store follow", async () => {
    const followers = [seen(), seen()];
    await (await RevocationList.open(buses.agent, names.revocationsBucket)).follow(followers[0]!.verifier, logger);
    await (await RevocationList.open(buses.objectstore, names.revocationsBucket)).follow(followers[1]!.verifier, logger);
    await (await RevocationList.open(buses.pod, names.revocationsBucket)).revokeUser(42);
    await (await RevocationList.open(buses.keymanager, names.revocationsBucket)).revoke({ jti: "km-jti", exp: Math.floor(Date.now() / 1000) + 3600 });
    for (const f of followers) await until(() => f.revoked.users.includes(42) && f.revoked.jtis.includes("km-jti"), "following revocations");
  });

  it("key notices from the pod and the key manager reach the agent and the key manager", async () => {
    const received: Record<string, string[]> = { agent: [], keymanager: [] };
    for (const s of ["agent", "keymanager"] as const) {
      buses[s].nc.subscribe(SUBJECTS.allKeysChanged(names.subjectPrefix), { callback: (_e, m) => void received[s]!.push(m.subject) });
    }
    await Promise.all([buses.agent.nc.flush(), buses.keymanager.nc.flush()]);
    buses.pod.nc.publish(SUBJECTS.keysChanged(names.subjectPrefix, "s1"));
    buses.keymanager.nc.publish(SUBJECTS.keysChanged(names.subjectPrefix, "s2"));
    await until(() => received.agent!.length === 2 && received.keymanager!.length === 2, "key notices");
  });

  it("the object store publishes to its feeds and reads, extends and acknowledges them", async () => {
    const queues = new FeedQueues(buses.objectstore, objects);
    const [partition, feedHash] = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
    const consumer = await queues.ensure(1, feedHash, 60_000);
    await buses.objectstore.js.publish(feedSubject(objects, 1, partition, feedHash), new TextEncoder().encode("version"));
    const [first] = await queues.read(consumer, 10, 2_000);
    expect(first?.string()).toBe("version");
    await queues.extend(consumer, [{ receipt: queues.receiptOf(first!), seconds: 0 }]);
    const [again] = await queues.read(consumer, 10, 2_000);
    await queues.ack(consumer, [queues.receiptOf(again!)]);
    await queues.delete(consumer);
  });

  it("the object store keeps entitlements in its own bucket", async () => {
    const entitlements = await Entitlements.open(buses.objectstore, names.entitlementsBucket, true, logger);
    await entitlements.set(3, false);
    expect(entitlements.enabled(3)).toBe(false);
  });
});

describe("what a service's credentials cannot do", () => {
  /** Permission violations answer a request with an error instead of a reply. */
  const refused = (p: Promise<unknown>) => expect(p).rejects.toThrow(/permission/i);

  it("an anonymous client cannot connect", async () => {
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow(/authorization/i);
  });

  it("the agent cannot publish into a user's datafeed subject", async () => {
    const before = (await jetstreamManager(inspect).then((j) => j.streams.info(names.eventsStream))).state.messages;
    await refused(buses.agent.js.publish(SUBJECTS.userEvent(names.subjectPrefix, 1, "MESSAGESENT"), new TextEncoder().encode("forged")));
    await refused(buses.keymanager.js.publish(SUBJECTS.userEvent(names.subjectPrefix, 1, "MESSAGESENT"), new TextEncoder().encode("forged")));
    expect((await (await jetstreamManager(inspect)).streams.info(names.eventsStream)).state.messages).toBe(before);
  });

  it("no service but the pod can delete or purge the events stream, and the pod cannot either", async () => {
    for (const s of NATS_SERVICES) {
      await refused(buses[s].jsm.streams.delete(names.eventsStream));
      await refused(buses[s].jsm.streams.purge(names.eventsStream));
    }
    expect((await (await jetstreamManager(inspect)).streams.info(names.eventsStream)).config.name).toBe(names.eventsStream);
  });

  it("the agent and the object store cannot write the revocation bucket", async () => {
    for (const s of ["agent", "objectstore"] as const) {
      const kv = await new Kvm(buses[s].js).open(names.revocationsBucket);
      await refused(kv.put("user.1", String(Date.now())));
    }
    const kv = await new Kvm(inspect).open(names.revocationsBucket);
    expect(await kv.get("user.1")).toBeNull();
  });

  it("only the agent reads datafeeds: the object store cannot create a consumer on the events stream", async () => {
    await refused(buses.objectstore.jsm.consumers.add(names.eventsStream, { durable_name: "snoop", filter_subject: `${names.subjectPrefix}.events.>` }));
  });

  it("a service cannot subscribe to another's replies or to events", async () => {
    for (const subject of ["_INBOX.agent.>", `${names.subjectPrefix}.events.>`, `${names.subjectPrefix}.objects.>`]) {
      const sub = buses.objectstore.nc.subscribe(subject);
      // The client ends a refused subscription with the server's violation instead of a message.
      expect(await sub.closed).toMatchObject({ operation: "subscription", subject });
    }
  });

  // What lets the whole-mesh test (mesh.test.ts) assert that the services were never refused.
  it("the server logs the refusals", () => {
    expect(readFileSync(join(server.dir, "nats.log"), "utf8")).toMatch(/Publish Violation|Permissions Violation/);
  });
});
