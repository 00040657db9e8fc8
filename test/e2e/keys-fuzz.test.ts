import { randomBytes, randomInt } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { unary } from "@symphony/kit";
import { describe, expect, it } from "vitest";
import { authHeaders, mesh, newBot, newRoom, raw, type TestBot } from "./harness.js";
import { addMasterKeyVersion, contentKey, km, kmMetadata, query } from "./km.js";

const WORKERS = 100;
const SECONDS = 10;
const BODY = /^<div data-format="PresentationML" data-version="2\.0">(fuzz-[0-9a-f]+)<\/div>$/;

// In the spirit of Vault's TestPolicyFuzzing: many concurrent workers mix sends, reads, key
// rotations, membership changes, master key rotations and direct key requests on one room.
describe("key custody under concurrent fuzzing", () => {
  it("every read is the exact plaintext sent or an explicit refusal; no key reaches a non-member; one audit row per decision", { timeout: 120_000 }, async () => {
    const owner = await newBot("owner");
    const admin = await newBot("fuzzadmin", ["ADMINISTRATOR"]);
    const members = await Promise.all(Array.from({ length: 4 }, () => newBot("member")));
    const outsider = await newBot("outsider");
    const roomId = await newRoom(owner.bot, members);
    const everyone: TestBot[] = [owner, ...members];

    const sent = new Map<string, string>();
    const kmDecisions = new Map<string, "RELEASED" | "REFUSED">();
    const failures: string[] = [];
    const counts = { send: 0, read: 0, rotate: 0, membership: 0, kek: 0, key: 0, refused: 0 };
    const until = Date.now() + SECONDS * 1000;
    let kekRotated = false;

    const keyRequest = async (bot: TestBot, expectRelease: boolean | undefined) => {
      const traceId = `fuzz${randomBytes(8).toString("hex")}`;
      try {
        await contentKey(bot.bot, roomId, undefined, traceId);
        kmDecisions.set(traceId, "RELEASED");
        if (expectRelease === false) failures.push(`key released to non-member ${bot.username}`);
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code !== status.PERMISSION_DENIED) return failures.push(`key request failed with ${code}`);
        kmDecisions.set(traceId, "REFUSED");
      }
      counts.key++;
    };

    const step = async () => {
      const dice = randomInt(100);
      const bot = everyone[randomInt(everyone.length)]!;
      if (dice < 35) {
        const text = `fuzz-${randomBytes(6).toString("hex")}`;
        const form = new FormData();
        form.set("message", `<messageML>${text}</messageML>`);
        const res = await raw("POST", `/agent/v4/stream/${roomId}/message/create`, { headers: authHeaders(bot.bot), body: form });
        if (res.status === 200) sent.set((res.body as { messageId: string }).messageId, text);
        else if (res.status !== 403) failures.push(`send answered ${res.status}`);
        else counts.refused++;
        counts.send++;
      } else if (dice < 70) {
        const res = await raw("GET", `/agent/v4/stream/${roomId}/message?since=0&limit=500`, { headers: authHeaders(bot.bot) });
        counts.read++;
        if (res.status === 403) return void counts.refused++;
        if (res.status !== 200 && res.status !== 204) return void failures.push(`read answered ${res.status}`);
        for (const m of (res.body ?? []) as { messageId: string; message: string; diagnostic?: string }[]) {
          const text = BODY.exec(m.message)?.[1];
          if (!text || m.diagnostic) failures.push(`unreadable message ${m.messageId}: ${m.diagnostic ?? m.message}`);
          else if (sent.has(m.messageId) && sent.get(m.messageId) !== text) failures.push(`wrong plaintext for ${m.messageId}`);
        }
      } else if (dice < 76) {
        const res = await raw("POST", `/relay/v1/streams/${roomId}/keys/rotate`, { headers: { keyManagerToken: owner.bot.keyManagerToken }, json: {} });
        if (res.status !== 200) failures.push(`rotate answered ${res.status}`);
        counts.rotate++;
      } else if (dice < 86) {
        const member = members[randomInt(members.length)]!;
        const action = randomInt(2) === 0 ? "add" : "remove";
        const res = await raw("POST", `/pod/v1/room/${roomId}/membership/${action}`, { headers: { sessionToken: owner.bot.sessionToken }, json: { id: member.userId } });
        if (res.status !== 200) failures.push(`membership ${action} answered ${res.status}`);
        counts.membership++;
      } else if (dice < 87 && !kekRotated) {
        kekRotated = true;
        await addMasterKeyVersion();
        await unary(km(), km().reloadMasterKeys, {}, kmMetadata(admin.bot));
        counts.kek++;
      } else if (dice < 93) {
        await keyRequest(outsider, false);
      } else {
        await keyRequest(bot, bot === owner ? true : undefined);
      }
    };

    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (Date.now() < until) await step();
      }),
    );

    expect(failures.slice(0, 10)).toEqual([]);
    expect(sent.size).toBeGreaterThan(50);
    expect(counts.rotate + counts.membership + counts.key).toBeGreaterThan(50);

    // Every direct key request left exactly one audit row with its decision (read from the
    // table itself: the storm leaves more rows than one API page).
    const rows = await query<{ trace_id: string; decision: string }>(
      `select trace_id, decision from "${mesh().schemaPrefix}_keymanager".key_audit where stream_id = $1 and trace_id like 'fuzz%'`,
      [roomId],
    );
    const byTrace = new Map<string, string[]>();
    for (const r of rows) byTrace.set(r.trace_id, [...(byTrace.get(r.trace_id) ?? []), r.decision]);
    for (const [traceId, decision] of kmDecisions) {
      expect(byTrace.get(traceId), traceId).toEqual([decision === "RELEASED" ? "RELEASED" : "DENIED_NOT_MEMBER"]);
    }
    expect(byTrace.size).toBe(kmDecisions.size);

    // After the storm, a current member reads everything that was acknowledged.
    await raw("POST", `/pod/v1/room/${roomId}/membership/add`, { headers: { sessionToken: owner.bot.sessionToken }, json: { id: members[0]!.userId } });
    const all = await raw("GET", `/agent/v4/stream/${roomId}/message?since=0&limit=500`, { headers: authHeaders(members[0]!.bot) });
    const read = new Map((all.body as { messageId: string; message: string }[]).map((m) => [m.messageId, BODY.exec(m.message)?.[1]]));
    for (const [id, text] of [...sent].slice(0, 500)) expect(read.get(id)).toBe(text);
  });
});
