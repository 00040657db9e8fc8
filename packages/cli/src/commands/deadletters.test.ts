import { describe, expect, it } from "vitest";
import { main } from "../main.js";

// What the commands refuse before any call: the calls themselves run against the mesh in test/e2e.
async function run(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {} });
  return { code, out, err };
}

describe("symphony-admin deadletters", () => {
  it("replays named ids or --all, never neither nor both", async () => {
    for (const argv of [["deadletters", "replay"], ["deadletters", "replay", "3", "--all"]]) {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/name the dead letter ids to replay, or say --all/);
    }
  });

  it("takes only positive integer ids and counts", async () => {
    expect((await run("deadletters", "replay", "x1")).err).toMatch(/must be a positive integer, not "x1"/);
    expect((await run("deadletters", "list", "--limit", "-3")).code).toBe(2);
  });

  it("is listed in the usage", async () => {
    const r = await run("--help");
    expect(r.out).toMatch(/deadletters list/);
    expect(r.out).toMatch(/deadletters replay/);
  });
});
