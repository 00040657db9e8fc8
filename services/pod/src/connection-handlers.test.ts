import { status } from "@symphony/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionHandlers } from "./connection-handlers.js";
import type { UserRow } from "./schema.js";
import { podFixture, type PodFixture } from "./test-fixture.js";

let f: PodFixture;
let connections: ReturnType<typeof connectionHandlers>;

beforeAll(async () => {
  f = await podFixture("test_pod_connections");
  connections = connectionHandlers(f.c);
});
afterAll(() => f.close());

const request = async (from: UserRow, to: UserRow) => (await connections.createConnection({ userId: to.id }, await f.as(from))).connection;
const accept = async (by: UserRow, from: UserRow) => (await connections.acceptConnection({ userId: from.id }, await f.as(by))).connection;
const reject = async (by: UserRow, from: UserRow) => (await connections.rejectConnection({ userId: from.id }, await f.as(by))).connection;
const statusSeenBy = async (viewer: UserRow, other: UserRow) => (await connections.getConnection({ userId: other.id }, await f.as(viewer))).connection?.status;

describe("connection handlers", () => {
  it("move a request from pending to accepted; each side sees its own direction", async () => {
    const [alice, bob] = [await f.user(), await f.user()];
    const before = (await f.events()).length;
    expect(await request(alice, bob)).toMatchObject({ userId: bob.id, status: "PENDING_OUTGOING", requestCounter: 1 });
    expect(await statusSeenBy(bob, alice)).toBe("PENDING_INCOMING");
    expect(await accept(bob, alice)).toMatchObject({ userId: alice.id, status: "ACCEPTED" });
    expect(await statusSeenBy(alice, bob)).toBe("ACCEPTED");
    // The request goes to the target, the acceptance to the requester.
    expect((await f.events()).slice(before)).toEqual([
      { type: "CONNECTIONREQUESTED", recipients: [bob.id] },
      { type: "CONNECTIONACCEPTED", recipients: [alice.id] },
    ]);
    // Asking again once connected changes nothing.
    expect(await request(bob, alice)).toMatchObject({ status: "ACCEPTED" });
  });

  it("let only the user who was asked answer a request", async () => {
    const [alice, bob] = [await f.user(), await f.user()];
    await request(alice, bob);
    await expect(accept(alice, bob)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, message: "There is no pending request from this user" });
    await expect(request(bob, alice)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, message: "This user already asked to connect: accept their request" });
  });

  it("reject silently, and count a request made again after a rejection", async () => {
    const [alice, bob] = [await f.user(), await f.user()];
    await request(alice, bob);
    const before = (await f.events()).length;
    expect(await reject(bob, alice)).toMatchObject({ status: "REJECTED" });
    expect((await f.events()).length).toBe(before);
    await expect(reject(bob, alice)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await request(alice, bob)).toMatchObject({ status: "PENDING_OUTGOING", requestCounter: 2 });
  });

  it("remove accepted connections only", async () => {
    const [alice, bob, carol] = [await f.user(), await f.user(), await f.user()];
    const remove = async (by: UserRow, other: UserRow) => (await connections.removeConnection({ userId: other.id }, await f.as(by))).result?.message;
    await expect(remove(alice, bob)).rejects.toMatchObject({ code: status.NOT_FOUND });
    await request(alice, bob);
    await expect(remove(alice, bob)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, message: "Only an accepted connection can be removed" });
    await accept(bob, alice);
    expect(await remove(bob, alice)).toBe("Connection Removed.");
    await expect(statusSeenBy(alice, bob)).rejects.toMatchObject({ code: status.NOT_FOUND });
    await request(carol, alice);
    const listed = await connections.listConnections({ status: "PENDING_INCOMING", userIds: "" }, await f.as(alice));
    expect(listed.connections.map((c) => c.userId)).toEqual([carol.id]);
  });

  it("refuse a connection to oneself or to a disabled user", async () => {
    const alice = await f.user();
    const gone = await f.user({ status: "DISABLED" });
    await expect(request(alice, alice)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(request(alice, gone)).rejects.toMatchObject({ code: status.NOT_FOUND });
  });
});
