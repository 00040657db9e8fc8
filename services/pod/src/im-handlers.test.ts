import { status } from "@symphony/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imHandlers } from "./im-handlers.js";
import { podFixture, type PodFixture } from "./test-fixture.js";

let f: PodFixture;
let ims: ReturnType<typeof imHandlers>;

beforeAll(async () => {
  f = await podFixture("test_pod_ims");
  ims = imHandlers(f.c);
});
afterAll(() => f.close());

describe("IM handlers", () => {
  it("keep one IM per set of members, whoever creates it and however often", async () => {
    const [alice, bob, carol] = [await f.user(), await f.user(), await f.user()];
    const first = (await ims.createIm({ userIds: [bob.id] }, await f.as(alice))).stream!.id;
    const again = await Promise.all([ims.createIm({ userIds: [alice.id, alice.id] }, await f.as(bob)), ims.createIm({ userIds: [bob.id] }, await f.as(alice))]);
    expect(again.map((r) => r.stream!.id)).toEqual([first, first]);
    expect((await f.stores.streams.byId(first))?.type).toBe("IM");
    const mim = (await ims.createIm({ userIds: [bob.id, carol.id] }, await f.as(alice))).stream!.id;
    expect(mim).not.toBe(first);
    expect((await f.stores.streams.byId(mim))?.type).toBe("MIM");
    expect((await f.events()).filter((e) => e.type === "INSTANTMESSAGECREATED")).toHaveLength(2);
  });

  it("refuse an IM with oneself only or with a disabled user", async () => {
    const alice = await f.user();
    const gone = await f.user({ status: "DISABLED" });
    await expect(ims.createIm({ userIds: [alice.id] }, await f.as(alice))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(ims.createIm({ userIds: [gone.id] }, await f.as(alice))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it("let an administrator create an IM between two other users", async () => {
    const admin = await f.user({ roles: ["ADMINISTRATOR"] });
    const [bob, carol] = [await f.user(), await f.user()];
    const id = (await ims.adminCreateIm({ userIds: [bob.id, carol.id] }, await f.as(admin))).stream!.id;
    expect((await f.stores.memberships.list(id)).map((m) => m.user_id).sort()).toEqual([bob.id, carol.id].sort());
    expect((await ims.createIm({ userIds: [carol.id] }, await f.as(bob))).stream!.id).toBe(id);
  });
});
