import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthOf } from "../../scripts/mesh.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "../../scripts/otlp-receiver.js";
import type { TestBot } from "./harness.js";
import { startPrivateMesh, type PrivateMesh } from "./private-mesh.js";

// A mesh of its own, exporting every span to a receiver inside this test: the shared mesh does
// not trace, and this file stops services to watch them shut down.
let rx: OtlpReceiver;
let env: PrivateMesh;
const mesh = () => env.mesh;

const otlp = (protocol: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_BSP_SCHEDULE_DELAY: "100" });

beforeAll(async () => {
  rx = await startOtlpReceiver();
  env = await startPrivateMesh("obs", {
    gateway: otlp("http/json"),
    pod: otlp("http/json"),
    keymanager: otlp("http/json"),
    // Long enough to watch a read in flight while the agent shuts down.
    agent: { ...otlp("http/json"), DATAFEED_POLL_MS: "4000", SHUTDOWN_DELAY_MS: "1500" },
    objectstore: otlp("http/protobuf"),
  });
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await rx?.close();
}, 60_000);

async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const traceOf = (traceId: string) => rx.spans.filter((s) => s.traceId === traceId);
const named = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

/** Sum of the samples of a Prometheus metric whose labels include every given pair. */
async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? "").includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

describe("observability", () => {
  let alice: TestBot;
  let bob: TestBot;
  let roomId: string;
  const secret = `plaintext-${randomBytes(8).toString("hex")}`;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([env.newBot("alice"), env.newBot("bob")]);
    roomId = (await alice.bot.call<{ roomSystemInfo: { id: string } }>("POST", "/pod/v3/room/create", { name: "traced room" })).roomSystemInfo.id;
    await alice.bot.call("POST", `/pod/v1/room/${roomId}/membership/add`, { id: bob.userId });
  });

  it("a send and its datafeed delivery form one connected trace across every service", async () => {
    const feedId = (await bob.bot.call<{ id: string }>("POST", "/agent/v5/datafeeds", {})).id;
    const sent = await alice.bot.sendMessage(roomId, `<messageML>${secret}</messageML>`);
    const messageId = (sent as { messageId: string }).messageId;
    let events: { type: string }[] = [];
    while (!events.some((e) => e.type === "MESSAGESENT")) {
      ({ events = [] } = await bob.bot.call<{ events?: { type: string }[] }>("POST", `/agent/v5/datafeeds/${feedId}/read`, { ackId: "" }));
    }

    const traceId = (await eventually("the encrypt span", () => rx.spans.find((s) => s.name === "agent.encrypt" && s.attributes["symphony.message.id"] === messageId))).traceId;
    // Services export in batches: wait until the delivery is in and no span misses its parent.
    const connected = (t: ReceivedSpan[]) => t.every((s) => !s.parentSpanId || t.some((p) => p.spanId === s.parentSpanId));
    const spans = await eventually("the delivery in the send's trace", () => {
      const t = traceOf(traceId);
      return named(t, "agent.decrypt").length > 0 && named(t, "outbox.publish").length > 0 && connected(t) ? t : undefined;
    }).catch(() => traceOf(traceId));
    const expected: [string, string][] = [
      ["gateway", "POST /agent/v4/stream/:stream_id/message/create"],
      ["agent", "grpc.symphony.agent.v1.AgentService/CreateMessage"],
      ["agent", "token.verify"],
      ["agent", "agent.content_key"],
      ["keymanager", "grpc.symphony.keymanager.v1.KeyManagerService/GetContentKey"],
      ["keymanager", "keymanager.key.release"],
      ["agent", "agent.encrypt"],
      ["pod", "grpc.symphony.pod.v1.PodService/StoreMessage"],
      ["pod", "outbox.publish"],
      ["agent", "datafeed.deliver"],
      ["agent", "agent.decrypt"],
    ];
    for (const [service, name] of expected) expect(spans.some((s) => s.service === service && s.name === name), `${service} ${name}`).toBe(true);

    const ids = new Set(spans.map((s) => s.spanId));
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => s.name)).toEqual(["POST /agent/v4/stream/:stream_id/message/create"]);
    for (const s of spans) if (s.parentSpanId) expect(ids.has(s.parentSpanId), `parent of ${s.service} ${s.name}`).toBe(true);

    // Alice's key for sending and Bob's for reading: both released within this trace.
    const releases = named(spans, "keymanager.key.release").map((s) => s.attributes);
    for (const user of [alice.userId, bob.userId]) {
      expect(releases).toContainEqual(expect.objectContaining({ "symphony.stream.id": roomId, "symphony.key.decision": "RELEASED", "enduser.id": user, "symphony.rotation.id": 1 }));
    }
    expect(named(spans, "agent.content_key").map((s) => s.attributes["symphony.key_cache"])).toEqual(["miss", "miss"]);
    const deliver = named(spans, "datafeed.deliver")[0]!;
    expect(deliver.attributes).toMatchObject({ "symphony.datafeed.id": feedId, "symphony.event.type": "MESSAGESENT", "symphony.message.id": messageId, "enduser.id": bob.userId });
    expect(deliver.links.length).toBe(1);

    // The audit row of the release names this trace.
    const db = new pg.Client({ connectionString: env.infra.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ user_id: string; decision: string }>(`select user_id, decision from "${env.schemaPrefix}_keymanager".key_audit where trace_id = $1 order by id`, [traceId]).finally(() => db.end());
    expect(rows.map((r) => ({ user_id: Number(r.user_id), decision: r.decision }))).toEqual([
      { user_id: alice.userId, decision: "RELEASED" },
      { user_id: bob.userId, decision: "RELEASED" },
    ]);
  });

  it("a warm key shows as a cache hit event instead of a key manager call", async () => {
    const sent = (await alice.bot.sendMessage(roomId, "<messageML>again</messageML>")) as { messageId: string };
    const encrypt = await eventually("the second encrypt span", () => rx.spans.find((s) => s.name === "agent.encrypt" && s.attributes["symphony.message.id"] === sent.messageId));
    const spans = await eventually("the gateway span", () => (traceOf(encrypt.traceId).some((s) => s.service === "gateway") ? traceOf(encrypt.traceId) : undefined));
    const lookup = named(spans, "agent.content_key")[0]!;
    expect(lookup.attributes["symphony.key_cache"]).toBe("hit");
    expect(lookup.events.map((e) => e.name)).toContain("key_cache.hit");
    expect(spans.some((s) => s.service === "keymanager")).toBe(false);
  });

  it("no span carries a token, a key or message text", async () => {
    const everything = JSON.stringify(rx.spans);
    expect(rx.spans.length).toBeGreaterThan(20);
    for (const b of [alice.bot, bob.bot]) {
      expect(everything).not.toContain(b.sessionToken);
      expect(everything).not.toContain(b.keyManagerToken);
    }
    expect(everything).not.toContain(secret);
    // No JWT (session, key manager or login token) and no PEM key, whoever's.
    for (const s of rx.spans) expect(JSON.stringify(s), s.name).not.toMatch(/eyJ[\w-]{8,}\.eyJ|BEGIN (RSA )?(PUBLIC|PRIVATE) KEY/);
  });

  it("exports http/protobuf as well as http/json", async () => {
    await eventually("a protobuf export", () => (rx.requests.get("application/x-protobuf") ? true : undefined));
    expect(rx.requests.get("application/json")).toBeGreaterThan(0);
  });

  it("log lines written inside a request carry its trace and span ids", async () => {
    const stranger = await env.newBot("stranger");
    // The key manager refuses the stranger the room's key, and says so in its log.
    await expect(stranger.bot.sendMessage(roomId, "<messageML>let me in</messageML>")).rejects.toThrow();
    const line = await eventually("the key manager's refusal log line", () =>
      readFileSync(join(env.workDir, "logs", "keymanager.log"), "utf8")
        .split("\n")
        .filter((l) => l.includes("key manager decision") && l.includes(`"userId":${stranger.userId}`))
        .map((l) => JSON.parse(l) as { trace_id?: string; span_id?: string })[0],
    );
    expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    await eventually("the refused request's gateway span", () => (traceOf(line.trace_id!).some((s) => s.service === "gateway") ? true : undefined));
  });

  it("every service serves Prometheus metrics, and the counters move", async () => {
    const urls = mesh().metricsUrls;
    const before = {
      rpc: await metric(urls.agent, "rpc_server_duration_count", { rpc_method: "CreateMessage", rpc_grpc_status_code: "0" }),
      rest: await metric(urls.gateway, "http_server_request_duration_count", { http_route: "/agent/v4/stream/:stream_id/message/create" }),
      hits: await metric(urls.agent, "symphony_agent_key_cache_lookups_total", { result: "hit" }),
    };
    await alice.bot.sendMessage(roomId, "<messageML>counted</messageML>");
    // A server records a call when its answer has left, which can be just after the client has it.
    const moved = async (url: string, name: string, labels: Record<string, string>, than: number) =>
      eventually(`${name} to move`, async () => ((await metric(url, name, labels)) > than ? true : undefined));
    await moved(urls.agent, "rpc_server_duration_count", { rpc_method: "CreateMessage", rpc_grpc_status_code: "0" }, before.rpc);
    await moved(urls.gateway, "http_server_request_duration_count", { http_route: "/agent/v4/stream/:stream_id/message/create" }, before.rest);
    await moved(urls.agent, "symphony_agent_key_cache_lookups_total", { result: "hit" }, before.hits);
    expect(await metric(urls.agent, "symphony_datafeed_lag_count")).toBeGreaterThan(0);
    expect(await metric(urls.pod, "rpc_server_duration_count", { rpc_method: "StoreMessage" })).toBeGreaterThan(0);
    expect((await (await fetch(urls.pod)).text())).toMatch(/^symphony_pod_outbox_backlog(\{[^}]*\})? \d+/m);
    expect(await metric(urls.pod, "db_client_connection_count")).toBeGreaterThan(0);
    for (const url of Object.values(urls)) expect((await fetch(url)).headers.get("content-type")).toMatch(/^text\/plain/);
  });

  it("on SIGTERM a service fails its probe, finishes the calls in flight, and exits cleanly", async () => {
    const check = () => healthOf(mesh().grpcAddresses.agent, "agent", mesh().operatorTls);
    expect(await check()).toBe("SERVING");
    const feedId = (await bob.bot.call<{ id: string }>("POST", "/agent/v5/datafeeds", {})).id;
    // A long poll with nothing to deliver is in flight when the signal arrives.
    const read = fetch(`${mesh().gatewayUrl}/agent/v5/datafeeds/${feedId}/read`, {
      method: "POST",
      headers: { sessionToken: bob.bot.sessionToken, keyManagerToken: bob.bot.keyManagerToken, "content-type": "application/json" },
      body: JSON.stringify({ ackId: "" }),
    });
    await new Promise((r) => setTimeout(r, 500));
    const exited = mesh().stopService("agent", "SIGTERM");
    const states: string[] = [];
    while (states.at(-1) !== "UNREACHABLE" && states.length < 100) {
      states.push(await check());
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(states).toContain("NOT_SERVING");
    expect((await read).status).toBe(200);
    expect(await exited).toBe(0);
    await mesh().startService("agent");
    expect(await mesh().stopService("pod", "SIGTERM")).toBe(0);
    await mesh().startService("pod");
  }, 60_000);
});
