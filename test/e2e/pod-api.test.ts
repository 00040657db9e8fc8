import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SymphonyBot, signLoginJwt } from "@symphony/sdk";
import { describe, expect, it } from "vitest";
import { clientCertificate, makeClientCa } from "./certificates.js";
import { adminBot, authHeaders, mesh, newBot, newRoom, raw, rsaKeyPair, validatingFetch, type TestBot } from "./harness.js";
import { checkResponse } from "./openapi.js";

const pod = (bot: SymphonyBot) => ({ sessionToken: bot.sessionToken });
const login = async (username: string, key: string) => raw("POST", "/login/pubkey/authenticate", { json: { token: await signLoginJwt(username, key) } });
const GARBAGE = ["abc", "' OR 1=1--", "1;DROP TABLE users", "-1", "1e99", "x".repeat(5000)];

describe("users", () => {
  it("finds users by uid, email and username (v3), reporting the ones not found", async () => {
    const a = await newBot();
    const b = await newBot();
    const byUid = await raw("GET", `/pod/v3/users?uid=${a.userId},${b.userId},999999999`, { headers: pod(a.bot) });
    expect(byUid.status).toBe(200);
    const body = byUid.body as { users: { id: number; username: string }[]; errors: { error: string; id: string }[] };
    expect(body.users.map((u) => u.username).sort()).toEqual([a.username, b.username].sort());
    expect(body.errors).toEqual([{ error: "invalid.id", id: "999999999" }]);
    const byEmail = await raw("GET", `/pod/v3/users?email=${a.username}@example.com`, { headers: pod(b.bot) });
    expect((byEmail.body as { users: { id: number }[] }).users.map((u) => u.id)).toEqual([a.userId]);
    const byName = await raw("GET", `/pod/v3/users?username=${b.username}`, { headers: pod(a.bot) });
    expect((byName.body as { users: { emailAddress: string }[] }).users[0]?.emailAddress).toBe(`${b.username}@example.com`);
    expect((await raw("GET", "/pod/v3/users?username=nobody-like-this", { headers: pod(a.bot) })).status).toBe(204);
  });

  it("finds one user (v2) or answers 204", async () => {
    const a = await newBot();
    const res = await raw("GET", `/pod/v2/user?username=${a.username}`, { headers: pod(a.bot) });
    expect(res.body).toMatchObject({ id: a.userId, username: a.username, displayName: `Bot ${a.username}`, accountType: "SYSTEM" });
    expect((await raw("GET", `/pod/v2/user?uid=${a.userId}`, { headers: pod(a.bot) })).status).toBe(200);
    expect((await raw("GET", "/pod/v2/user?email=none@nowhere.io", { headers: pod(a.bot) })).status).toBe(204);
  });

  it("searches users by name with counts, 204 when nothing matches", async () => {
    const a = await newBot("searchable");
    const res = await raw("POST", "/pod/v1/user/search?limit=5", { headers: pod(a.bot), json: { query: a.username } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ count: 1, limit: 5, users: [{ id: a.userId }] });
    expect((await raw("POST", "/pod/v1/user/search", { headers: pod(a.bot), json: { query: `zz${randomBytes(8).toString("hex")}` } })).status).toBe(204);
  });

  it("answers bad lookups with 400, never 500", async () => {
    const a = await newBot();
    for (const q of ["uid=abc", "uid=1,x", "uid=1&email=a@b.io", "", `username=${"a,".repeat(101)}`]) {
      const res = await raw("GET", `/pod/v3/users?${q}`, { headers: pod(a.bot) });
      expect(res.status, q).toBe(400);
    }
    for (const g of GARBAGE) {
      const res = await raw("GET", `/pod/v3/users?email=${encodeURIComponent(g)}`, { headers: pod(a.bot) });
      expect([204, 400], g.slice(0, 20)).toContain(res.status);
      const search = await raw("POST", `/pod/v1/user/search?limit=${encodeURIComponent(g)}`, { headers: pod(a.bot), json: { query: "x" } });
      expect([200, 204, 400]).toContain(search.status);
    }
  });
});

describe("user administration", () => {
  it("reads, updates, lists users, their status and roles", async () => {
    const admin = await adminBot();
    const u = await newBot();
    const detail = await raw("GET", `/pod/v2/admin/user/${u.userId}`, { headers: pod(admin) });
    expect(detail.body).toMatchObject({ userAttributes: { userName: u.username }, userSystemInfo: { id: u.userId, status: "ENABLED" } });
    const updated = await raw("POST", `/pod/v2/admin/user/${u.userId}/update`, { headers: pod(admin), json: { displayName: "Renamed Bot", title: "Trader" } });
    expect(updated.body).toMatchObject({ userAttributes: { displayName: "Renamed Bot", title: "Trader", userName: u.username } });
    const list = await raw("GET", "/pod/v2/admin/user/list?limit=1000", { headers: pod(admin) });
    expect((list.body as { userSystemInfo: { id: number } }[]).some((x) => x.userSystemInfo.id === u.userId)).toBe(true);
    expect((await raw("GET", `/pod/v1/admin/user/${u.userId}/status`, { headers: pod(admin) })).body).toEqual({ status: "ENABLED" });

    const roles = await raw("GET", "/pod/v1/admin/system/roles/list", { headers: pod(admin) });
    expect(roles.body).toEqual(expect.arrayContaining([expect.objectContaining({ id: "INDIVIDUAL" }), expect.objectContaining({ id: "USER_PROVISIONING" })]));
    expect((await raw("POST", `/pod/v1/admin/user/${u.userId}/roles/add`, { headers: pod(admin), json: { id: "COMPLIANCE_OFFICER" } })).status).toBe(200);
    expect(((await raw("GET", `/pod/v2/admin/user/${u.userId}`, { headers: pod(admin) })).body as { roles: string[] }).roles).toContain("COMPLIANCE_OFFICER");
    expect((await raw("POST", `/pod/v1/admin/user/${u.userId}/roles/remove`, { headers: pod(admin), json: { id: "COMPLIANCE_OFFICER" } })).status).toBe(200);
    expect((await raw("POST", `/pod/v1/admin/user/${u.userId}/roles/remove`, { headers: pod(admin), json: { id: "COMPLIANCE_OFFICER" } })).status).toBe(404);
    expect((await raw("POST", `/pod/v1/admin/user/${u.userId}/roles/add`, { headers: pod(admin), json: { id: "EMPEROR" } })).status).toBe(400);
    // User provisioning is not a way to become a super administrator.
    expect((await raw("POST", `/pod/v1/admin/user/${u.userId}/roles/add`, { headers: pod(admin), json: { id: "SUPER_ADMINISTRATOR" } })).status).toBe(403);
  });

  it("refuses every admin path to a user without an admin role", async () => {
    const u = await newBot();
    const other = await newBot();
    const calls: [string, string, unknown?][] = [
      ["GET", `/pod/v2/admin/user/${other.userId}`],
      ["POST", `/pod/v2/admin/user/${other.userId}/update`, { displayName: "x" }],
      ["GET", "/pod/v2/admin/user/list"],
      ["GET", `/pod/v1/admin/user/${other.userId}/status`],
      ["POST", `/pod/v1/admin/user/${other.userId}/status/update`, { status: "DISABLED" }],
      ["POST", `/pod/v1/admin/user/${other.userId}/roles/add`, { id: "SUPER_ADMINISTRATOR" }],
      ["GET", "/pod/v1/admin/system/roles/list"],
      ["POST", "/pod/v1/admin/im/create", [u.userId, other.userId]],
      ["GET", `/pod/v1/admin/stream/7X1cP_3wMD4mr6rcp7j26X___oh4uDkVdA/membership/list`],
    ];
    for (const [method, path, json] of calls) {
      const res = await raw(method, path, { headers: pod(u.bot), json });
      expect(res.status, path).toBe(403);
      expect(res.body).toEqual({ code: 403, message: expect.any(String) });
    }
  });

  it("answers unknown users and malformed ids with 400", async () => {
    const admin = await adminBot();
    for (const uid of ["999999999999", "abc", "-5", "1.5"]) {
      expect((await raw("GET", `/pod/v2/admin/user/${uid}`, { headers: pod(admin) })).status, uid).toBe(400);
    }
    expect((await raw("POST", `/pod/v1/admin/user/1/status/update`, { headers: pod(admin), json: { status: "SLEEPING" } })).status).toBe(400);
  });
});

describe("sessions", () => {
  it("logout revokes the session everywhere at once", async () => {
    const u = await newBot();
    expect((await raw("GET", "/pod/v2/sessioninfo", { headers: pod(u.bot) })).status).toBe(200);
    expect((await raw("POST", "/login/v1/logout", { headers: pod(u.bot), json: {} })).status).toBe(200);
    expect((await raw("GET", "/pod/v2/sessioninfo", { headers: pod(u.bot) })).status).toBe(401);
    expect((await raw("GET", `/agent/v4/stream/7X1cP_3wMD4mr6rcp7j26X___oh4uDkVdA/message?since=0`, { headers: authHeaders(u.bot) })).status).toBe(401);
  });

  it("disabling a user ends its sessions and stops its logins; enabling lets it back", async () => {
    const admin = await adminBot();
    const u = await newBot();
    expect((await raw("POST", `/pod/v1/admin/user/${u.userId}/status/update`, { headers: pod(admin), json: { status: "DISABLED" } })).status).toBe(200);
    expect((await raw("GET", "/pod/v2/sessioninfo", { headers: pod(u.bot) })).status).toBe(401);
    expect((await raw("GET", `/agent/v4/stream/7X1cP_3wMD4mr6rcp7j26X___oh4uDkVdA/message?since=0`, { headers: authHeaders(u.bot) })).status).toBe(401);
    expect((await login(u.username, u.privateKeyPem)).status).toBe(401);
    await raw("POST", `/pod/v1/admin/user/${u.userId}/status/update`, { headers: pod(admin), json: { status: "ENABLED" } });
    expect((await login(u.username, u.privateKeyPem)).status).toBe(200);
  });

  it("rotates RSA keys: the previous key keeps working, can be extended, and revoking ends sessions", async () => {
    const admin = await adminBot();
    const u = await newBot();
    const next = rsaKeyPair();
    const saved = await raw("POST", `/pod/v2/admin/user/${u.userId}/update`, { headers: pod(admin), json: { currentKey: { key: next.publicKeyPem, action: "SAVE" } } });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ userAttributes: { currentKey: { key: next.publicKeyPem }, previousKey: { expirationDate: expect.any(Number) } } });
    expect((await login(u.username, u.privateKeyPem)).status).toBe(200);
    expect((await login(u.username, next.privateKeyPem)).status).toBe(200);
    const third = rsaKeyPair();
    expect((await raw("POST", `/pod/v2/admin/user/${u.userId}/update`, { headers: pod(admin), json: { currentKey: { key: third.publicKeyPem, action: "SAVE" } } })).status).toBe(400);
    const until = Date.now() + 3_600_000;
    const extended = await raw("POST", `/pod/v2/admin/user/${u.userId}/update`, { headers: pod(admin), json: { previousKey: { action: "EXTEND", expirationDate: until } } });
    expect(extended.body).toMatchObject({ userAttributes: { previousKey: { expirationDate: until } } });

    const session = await SymphonyBot.authenticate({ baseUrl: mesh().gatewayUrl, username: u.username, privateKeyPem: next.privateKeyPem, fetch: validatingFetch });
    const revoked = await raw("POST", `/pod/v2/admin/user/${u.userId}/update`, { headers: pod(admin), json: { currentKey: { action: "REVOKE" } } });
    expect(revoked.status).toBe(200);
    expect((await raw("GET", "/pod/v2/sessioninfo", { headers: pod(session) })).status).toBe(401);
    expect((await login(u.username, next.privateKeyPem)).status).toBe(401);
    // The still-valid previous key took the current key's place.
    expect((await login(u.username, u.privateKeyPem)).status).toBe(200);
  });

  it("authenticates with a client certificate whose common name is the service account", async () => {
    const u = await newBot("certbot");
    const dir = join(tmpdir(), `certs-${randomBytes(4).toString("hex")}`);
    const good = clientCertificate(dir, u.username, mesh().clientCa);
    const post = (path: string, cert?: { cert: string; key: string }, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const req = request(
          new URL(path, mesh().gatewayHttpsUrl),
          { method: "POST", headers, rejectUnauthorized: false, agent: false, ...(cert ? { cert: readFileSync(cert.cert), key: readFileSync(cert.key) } : {}) },
          (res) => {
            let text = "";
            res.on("data", (d) => (text += d));
            res.on("end", () => {
              const body = text ? JSON.parse(text) : undefined;
              checkResponse("POST", path, res.statusCode ?? 0, body);
              resolve({ status: res.statusCode ?? 0, body });
            });
          },
        );
        req.on("error", reject);
        req.end();
      });
    const session = await post("/sessionauth/v1/authenticate", good);
    expect(session).toEqual({ status: 200, body: { name: "sessionToken", token: expect.any(String) } });
    const km = await post("/keyauth/v1/authenticate", good);
    expect(km).toEqual({ status: 200, body: { name: "keyManagerToken", token: expect.any(String) } });
    const info = await raw("GET", "/pod/v2/sessioninfo", { headers: { sessionToken: (session.body as { token: string }).token } });
    expect(info.body).toMatchObject({ id: u.userId });

    expect((await post("/sessionauth/v1/authenticate")).status).toBe(400);
    // The name comes from the verified certificate only: a bot naming admin in a header gets nothing, or its own session.
    const claimsAdmin = { "x-client-cert-cn": "admin" };
    expect((await post("/sessionauth/v1/authenticate", undefined, claimsAdmin)).status).toBe(400);
    expect((await post("/keyauth/v1/authenticate", undefined, claimsAdmin)).status).toBe(400);
    expect((await raw("POST", "/sessionauth/v1/authenticate", { headers: claimsAdmin })).status).toBe(400);
    const own = await post("/sessionauth/v1/authenticate", good, claimsAdmin);
    const ownInfo = await raw("GET", "/pod/v2/sessioninfo", { headers: { sessionToken: (own.body as { token: string }).token } });
    expect(ownInfo.body).toMatchObject({ id: u.userId });
    expect((await post("/sessionauth/v1/authenticate", clientCertificate(dir, "nobody-known", mesh().clientCa))).status).toBe(403);
    // Certificates are for service accounts: a NORMAL user's certificate is refused by both.
    const admin = await adminBot();
    const person = `person-${randomBytes(4).toString("hex")}`;
    await admin.call("POST", "/pod/v2/admin/user/create", { userAttributes: { accountType: "NORMAL", userName: person, displayName: "A Person", emailAddress: `${person}@x.io` } });
    const personal = clientCertificate(dir, person, mesh().clientCa);
    expect((await post("/sessionauth/v1/authenticate", personal)).status).toBe(403);
    expect((await post("/keyauth/v1/authenticate", personal)).status).toBe(403);
    // A CA that copies the trusted CA's name: TLS drops the connection (the signature does not
    // verify) or, at most, the request arrives without a verified certificate.
    const rogueCa = makeClientCa(join(dir, "rogue"));
    const rogue = await post("/sessionauth/v1/authenticate", clientCertificate(join(dir, "r"), u.username, rogueCa)).catch(() => ({ status: 0, body: undefined }));
    expect([0, 400]).toContain(rogue.status);
  });
});

describe("IMs, rooms and streams", () => {
  it("creates one IM per set of members, visible in stream lists and info", async () => {
    const a = await newBot();
    const b = await newBot();
    const im = await raw("POST", "/pod/v1/im/create", { headers: pod(a.bot), json: [b.userId] });
    expect(im.status).toBe(200);
    const id = (im.body as { id: string }).id;
    expect((await raw("POST", "/pod/v1/im/create", { headers: pod(b.bot), json: [a.userId] })).body).toEqual({ id });
    const info = await raw("GET", `/pod/v2/streams/${id}/info`, { headers: pod(b.bot) });
    expect(info.body).toMatchObject({ id, active: true, streamType: { type: "IM" }, streamAttributes: { members: [a.userId, b.userId].sort((x, y) => x - y) } });
    const list = await raw("POST", "/pod/v1/streams/list", { headers: pod(a.bot), json: { streamTypes: [{ type: "IM" }] } });
    expect((list.body as { id: string }[]).map((s) => s.id)).toEqual([id]);
    await a.bot.sendMessage(id, "<messageML>hi b</messageML>");
    expect((await b.bot.messages(id)).length).toBe(1);

    const admin = await adminBot();
    const c = await newBot();
    const mim = await raw("POST", "/pod/v1/admin/im/create", { headers: pod(admin), json: [a.userId, b.userId, c.userId] });
    expect(mim.status).toBe(200);
    const mimInfo = await raw("GET", `/pod/v2/streams/${(mim.body as { id: string }).id}/info`, { headers: pod(c.bot) });
    expect(mimInfo.body).toMatchObject({ streamType: { type: "MIM" } });
    for (const json of [{ id: 1 }, [], ["x"], [a.userId], [999999999999]]) {
      expect((await raw("POST", "/pod/v1/im/create", { headers: pod(a.bot), json })).status, JSON.stringify(json)).toBe(400);
    }
  });

  it("lists a new user's streams as 204 and validates the filter", async () => {
    const a = await newBot();
    expect((await raw("POST", "/pod/v1/streams/list", { headers: pod(a.bot), json: {} })).status).toBe(204);
    expect((await raw("POST", "/pod/v1/streams/list?limit=-1", { headers: pod(a.bot), json: {} })).status).toBe(400);
    expect((await raw("POST", "/pod/v1/streams/list", { headers: pod(a.bot), json: { streamTypes: [{ type: "CHAT" }] } })).status).toBe(400);
  });

  it("reads, updates, deactivates and searches rooms with owner rules", async () => {
    const owner = await newBot("owner");
    const member = await newBot("member");
    const outsider = await newBot("outsider");
    const name = `Desk ${randomBytes(4).toString("hex")}`;
    const created = await raw("POST", "/pod/v3/room/create", { headers: pod(owner.bot), json: { name, description: "rates", discoverable: true, keywords: [{ key: "asset", value: "fx" }] } });
    const roomId = (created.body as { roomSystemInfo: { id: string } }).roomSystemInfo.id;
    await raw("POST", `/pod/v1/room/${roomId}/membership/add`, { headers: pod(owner.bot), json: { id: member.userId } });

    expect((await raw("GET", `/pod/v3/room/${roomId}/info`, { headers: pod(member.bot) })).body).toMatchObject({ roomAttributes: { name, description: "rates" }, roomSystemInfo: { id: roomId, active: true } });
    expect((await raw("GET", `/pod/v3/room/${roomId}/info`, { headers: pod(outsider.bot) })).status).toBe(403);

    expect((await raw("POST", `/pod/v3/room/${roomId}/update`, { headers: pod(member.bot), json: { description: "mine now" } })).status).toBe(403);
    const updated = await raw("POST", `/pod/v3/room/${roomId}/update`, { headers: pod(owner.bot), json: { description: "credit" } });
    expect(updated.body).toMatchObject({ roomAttributes: { name, description: "credit", discoverable: true } });

    const found = await raw("POST", "/pod/v3/room/search", { headers: pod(outsider.bot), json: { query: name } });
    expect(found.body).toMatchObject({ count: 1, rooms: [{ roomSystemInfo: { id: roomId } }] });
    const none = await raw("POST", "/pod/v3/room/search", { headers: pod(outsider.bot), json: { query: `nothing ${randomBytes(6).toString("hex")}` } });
    expect(none.body).toMatchObject({ count: 0 });

    expect((await raw("POST", `/pod/v1/room/${roomId}/setActive?active=false`, { headers: pod(member.bot) })).status).toBe(403);
    const off = await raw("POST", `/pod/v1/room/${roomId}/setActive?active=false`, { headers: pod(owner.bot) });
    expect(off.body).toMatchObject({ roomSystemInfo: { id: roomId, active: false }, roomAttributes: { name } });
    const form = new FormData();
    form.set("message", "<messageML>anyone?</messageML>");
    expect((await raw("POST", `/agent/v4/stream/${roomId}/message/create`, { headers: authHeaders(member.bot), body: form })).status).toBe(403);
    const inactive = await raw("POST", "/pod/v1/streams/list", { headers: pod(member.bot), json: { includeInactiveStreams: true } });
    expect((inactive.body as { id: string; active: boolean }[]).find((s) => s.id === roomId)?.active).toBe(false);
    expect((await raw("POST", `/pod/v1/room/${roomId}/setActive?active=true`, { headers: pod(owner.bot) })).body).toMatchObject({ roomSystemInfo: { active: true } });
    expect((await raw("POST", `/pod/v1/room/${roomId}/setActive?active=maybe`, { headers: pod(owner.bot) })).status).toBe(400);
  });

  it("promotes and demotes owners; only owners manage membership", async () => {
    const owner = await newBot();
    const m1 = await newBot();
    const m2 = await newBot();
    const roomId = await newRoom(owner.bot, [m1]);
    const memberOwner = async (who: TestBot, id: number) => ((await raw("GET", `/pod/v2/room/${roomId}/membership/list`, { headers: pod(who.bot) })).body as { id: number; owner: boolean }[]).find((m) => m.id === id)?.owner;
    expect((await raw("POST", `/pod/v1/room/${roomId}/membership/add`, { headers: pod(m1.bot), json: { id: m2.userId } })).status).toBe(403);
    expect((await raw("POST", `/pod/v1/room/${roomId}/membership/promoteOwner`, { headers: pod(m1.bot), json: { id: m1.userId } })).status).toBe(403);
    expect((await raw("POST", `/pod/v1/room/${roomId}/membership/promoteOwner`, { headers: pod(owner.bot), json: { id: m1.userId } })).body).toEqual({ format: "TEXT", message: "Member promoted to owner" });
    expect(await memberOwner(owner, m1.userId)).toBe(true);
    expect((await raw("POST", `/pod/v1/room/${roomId}/membership/add`, { headers: pod(m1.bot), json: { id: m2.userId } })).status).toBe(200);
    expect((await raw("POST", `/pod/v1/room/${roomId}/membership/demoteOwner`, { headers: pod(owner.bot), json: { id: m1.userId } })).status).toBe(200);
    expect(await memberOwner(owner, m1.userId)).toBe(false);
    expect((await raw("POST", `/pod/v1/room/${roomId}/membership/promoteOwner`, { headers: pod(owner.bot), json: { id: 999999999999 } })).status).toBe(400);
    expect((await raw("POST", `/pod/v1/room/${roomId}/membership/remove`, { headers: pod(m2.bot), json: { id: m2.userId } })).body).toEqual({ format: "TEXT", message: "Member removed" });
  });

  it("lists a stream's members for administrators, with user details and paging", async () => {
    const admin = await adminBot();
    const owner = await newBot();
    const m = await newBot();
    const roomId = await newRoom(owner.bot, [m]);
    const res = await raw("GET", `/pod/v1/admin/stream/${roomId}/membership/list?limit=1`, { headers: pod(admin) });
    expect(res.body).toMatchObject({ count: 2, skip: 0, limit: 1, members: [{ user: { userId: owner.userId, email: `${owner.username}@example.com` }, isOwner: true, isCreator: true }] });
    const next = await raw("GET", `/pod/v1/admin/stream/${roomId}/membership/list?skip=1&limit=1`, { headers: pod(admin) });
    expect(next.body).toMatchObject({ members: [{ user: { userId: m.userId }, isOwner: false }] });
  });

  it("answers malformed stream ids and hostile input with 4xx on every stream path", async () => {
    const a = await newBot();
    for (const id of ["abc", "x".repeat(300), "%27%20OR%201%3D1--"]) {
      for (const [method, path] of [
        ["GET", `/pod/v3/room/${id}/info`],
        ["POST", `/pod/v3/room/${id}/update`],
        ["POST", `/pod/v1/room/${id}/setActive?active=true`],
        ["GET", `/pod/v2/streams/${id}/info`],
      ] as const) {
        const res = await raw(method, path, { headers: pod(a.bot), json: method === "POST" ? { name: "x" } : undefined });
        expect(res.status, path).toBe(400);
      }
    }
    const hostile = await raw("POST", "/pod/v3/room/create", { headers: pod(a.bot), json: { name: "'; DROP TABLE streams; --", description: "x".repeat(20_000) } });
    expect(hostile.status).toBe(400);
    const sqlName = await raw("POST", "/pod/v3/room/create", { headers: pod(a.bot), json: { name: "'; DROP TABLE streams; --" } });
    expect(sqlName.status).toBe(200);
    expect((await raw("POST", "/pod/v3/room/search", { headers: pod(a.bot), json: { query: "%_\\'" } })).status).toBe(200);
  });
});
