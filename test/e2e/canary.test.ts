import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { mesh, newBot, newRoom } from "./harness.js";
import { natsStreamContains } from "./km.js";

/** Every row of every table of the run's schemas, as text and as raw bytes of bytea columns. */
async function databaseContains(needle: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: mesh().databaseUrl });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_schema: string; table_name: string }>(
      "select table_schema, table_name from information_schema.tables where table_schema like $1",
      [`${mesh().schemaPrefix}\\_%`],
    );
    const hits: string[] = [];
    for (const t of tables) {
      const name = `"${t.table_schema}"."${t.table_name}"`;
      // row::text renders bytea as hex, so search for the hex form too.
      const { rows } = await client.query<{ n: string }>(`select count(*) as n from ${name} r where position($1 in r::text) > 0 or position($2 in r::text) > 0`, [
        needle,
        Buffer.from(needle).toString("hex"),
      ]);
      if (Number(rows[0]?.n) > 0) hits.push(name);
    }
    expect(tables.length).toBeGreaterThan(5);
    return hits;
  } finally {
    await client.end();
  }
}

describe("message plaintext never leaves the agent", () => {
  it("a canary sent through the agent is nowhere in Postgres, the NATS stream or the service logs", async () => {
    const canary = `CANARY${randomBytes(12).toString("hex")}`;
    const alice = await newBot();
    const bob = await newBot();
    const roomId = await newRoom(alice.bot, [bob]);
    const sent = await alice.bot.sendMessage(roomId, `<messageML>${canary} <hash tag="${canary}x"/></messageML>`, JSON.stringify({ extra: { value: canary } }));
    expect(sent.message).toContain(canary);
    const read = await bob.bot.messages(roomId);
    expect(read.map((m) => m.message).join()).toContain(canary);

    // The message's event (one copy per member) must be on the stream before searching it.
    await expect.poll(() => natsStreamContains(sent.messageId), { timeout: 10_000 }).toBe(2);
    expect(await databaseContains(canary)).toEqual([]);
    expect(await natsStreamContains(canary)).toBe(0);
    for (const file of readdirSync(mesh().logDir)) {
      expect(readFileSync(join(mesh().logDir, file), "utf8"), file).not.toContain(canary);
    }
  });
});
