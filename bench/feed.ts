// npm run bench:feed -- [--bots 100] [--room-size 10] [--rates 50,100,200,400] [--seconds 10]
// Bots read v5 datafeeds while messages are sent into shared rooms at fixed rates (open loop);
// each message carries its send time, so every feed delivery gives one send → feed latency.
// Reports p50/p99 per rate, the highest rate whose p99 stays under 100 ms, and peak RSS.
import { parseArgs } from "node:util";
import type { SymphonyBot } from "@symphony/sdk";
import { machine, peakRssMiB, percentile, withMesh } from "./harness.js";
import { provisionBots } from "./provision.js";

const { values } = parseArgs({
  options: {
    bots: { type: "string", default: "100" },
    "room-size": { type: "string", default: "10" },
    rates: { type: "string", default: "50,100,200,400" },
    seconds: { type: "string", default: "10" },
  },
});
const bots = Number(values.bots);
const roomSize = Number(values["room-size"]);
const rates = values.rates.split(",").map(Number);
const seconds = Number(values.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const result = await withMesh({}, async (mesh, admin) => {
  const fleet = await provisionBots(admin, mesh.gatewayUrl, bots);
  const headers = (bot: SymphonyBot) => ({ sessionToken: bot.sessionToken, keyManagerToken: bot.keyManagerToken, "content-type": "application/json" });
  // Shared rooms: the first bot of each group owns the room and adds the others.
  const rooms: string[] = [];
  for (let i = 0; i < fleet.length; i += roomSize) {
    const group = fleet.slice(i, i + roomSize);
    const ids = await Promise.all(group.map(async (g) => (await g.bot.call<{ id: number }>("GET", "/pod/v2/sessioninfo")).id));
    for (const id of ids.slice(1)) await group[0]!.bot.call("POST", `/pod/v1/room/${group[0]!.streamId}/membership/add`, { id });
    rooms.push(group[0]!.streamId);
  }
  const feeds = await Promise.all(fleet.map(async (f) => ({ bot: f.bot, id: (await f.bot.call<{ id: string }>("POST", "/agent/v5/datafeeds", {})).id })));

  let latencies: number[] = [];
  let reading = true;
  const readers = feeds.map(async ({ bot, id }) => {
    let ackId = "";
    while (reading) {
      const res = await fetch(`${mesh.gatewayUrl}/agent/v5/datafeeds/${id}/read`, { method: "POST", headers: headers(bot), body: JSON.stringify({ ackId }) });
      if (res.status !== 200) {
        await res.arrayBuffer();
        continue;
      }
      const body = (await res.json()) as { events?: { type: string; payload: { messageSent?: { message: { message: string } } } }[]; ackId?: string };
      const now = Date.now();
      for (const e of body.events ?? []) {
        const sentAt = /t=(\d+)/.exec(e.payload.messageSent?.message.message ?? "")?.[1];
        if (sentAt) latencies.push(now - Number(sentAt));
      }
      ackId = body.ackId ?? "";
    }
  });

  // One message per room first, so the measured rates start with warm key and profile caches.
  await Promise.all(rooms.map((room, i) => fleet[i * roomSize]!.bot.sendMessage(room, "<messageML>warm-up</messageML>")));
  await sleep(3000);

  const perRate = [];
  for (const rate of rates) {
    latencies = [];
    const start = Date.now();
    let sent = 0;
    const inflight: Promise<unknown>[] = [];
    while (Date.now() - start < seconds * 1000) {
      const due = Math.floor(((Date.now() - start) / 1000) * rate);
      for (; sent < due; sent++) {
        const owner = fleet[(sent % rooms.length) * roomSize]!;
        inflight.push(
          fetch(`${mesh.gatewayUrl}/agent/v4/stream/${rooms[sent % rooms.length]}/message/create`, {
            method: "POST",
            headers: headers(owner.bot),
            body: JSON.stringify({ message: `<messageML>t=${Date.now()}</messageML>` }),
          }).then((r) => r.arrayBuffer()),
        );
      }
      await sleep(5);
    }
    await Promise.all(inflight);
    await sleep(3000);
    const sorted = [...latencies].sort((a, b) => a - b);
    perRate.push({ targetMsgPerSecond: rate, deliveries: sorted.length, p50ms: percentile(sorted, 50), p99ms: percentile(sorted, 99) });
  }
  reading = false;
  await Promise.race([Promise.all(readers), sleep(5000)]);
  const under100 = perRate.filter((r) => r.p99ms < 100).map((r) => r.targetMsgPerSecond);
  const pids = mesh.pids();
  return {
    rooms: rooms.length,
    perRate,
    highestRateWithP99Under100ms: under100.length ? Math.max(...under100) : 0,
    peakRss: Object.fromEntries(Object.entries(pids).map(([s, pid]) => [s, `${peakRssMiB(pid).toFixed(0)} MiB`])),
  };
});
console.log(JSON.stringify({ machine: machine(), bots, roomSize, seconds, ...result }, null, 2));
