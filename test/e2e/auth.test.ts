import { createPrivateKey } from "node:crypto";
import { SignJWT } from "jose";
import { signLoginJwt } from "@symphony/sdk";
import { describe, expect, it } from "vitest";
import { adminBot, mesh, newBot, raw, rsaKeyPair } from "./harness.js";

const login = (token: unknown) => raw("POST", "/login/pubkey/authenticate", { json: { token } });
const relay = (token: unknown) => raw("POST", "/relay/pubkey/authenticate", { json: { token } });

function unsigned(header: object, claims: object): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64(header)}.${b64(claims)}.`;
}

const expectUnauthorized = (res: { status: number; body: unknown }) => {
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ code: 401, message: expect.any(String) });
};

describe("RSA authentication through the gateway", () => {
  it("issues a sessionToken from /login and a keyManagerToken from /relay", async () => {
    const jwt = await signLoginJwt("admin", mesh().adminKeyPem);
    const session = await login(jwt);
    expect(session.status).toBe(200);
    expect(session.body).toEqual({ name: "sessionToken", token: expect.any(String) });
    const km = await relay(jwt);
    expect(km.status).toBe(200);
    expect(km.body).toEqual({ name: "keyManagerToken", token: expect.any(String) });
  });

  it("accepts the same JWT twice (a client retrying a lost response) with distinct sessions", async () => {
    const jwt = await signLoginJwt("admin", mesh().adminKeyPem);
    const [a, b] = [await login(jwt), await login(jwt)];
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
  });

  it("refuses a JWT signed by another key, for both /login and /relay", async () => {
    const jwt = await signLoginJwt("admin", rsaKeyPair().privateKeyPem);
    expectUnauthorized(await login(jwt));
    expectUnauthorized(await relay(jwt));
  });

  it("refuses bot B's key claiming to be bot A", async () => {
    const b = await newBot();
    expectUnauthorized(await login(await signLoginJwt("admin", b.privateKeyPem)));
  });

  it("refuses alg none and HS256/HS512 keyed with the public key", async () => {
    const exp = Math.floor(Date.now() / 1000) + 200;
    expectUnauthorized(await login(unsigned({ alg: "none" }, { sub: "admin", exp })));
    const pub = createPrivateKey(mesh().adminKeyPem).export({ type: "pkcs1", format: "pem" });
    for (const alg of ["HS256", "HS512"]) {
      const forged = await new SignJWT({}).setProtectedHeader({ alg }).setSubject("admin").setExpirationTime(exp).sign(new TextEncoder().encode(String(pub)));
      expectUnauthorized(await login(forged));
    }
  });

  it("refuses RS256 even when signed by the right key", async () => {
    const { importPKCS8 } = await import("jose");
    const key = await importPKCS8(mesh().adminKeyPem, "RS256");
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: "RS256" }).setSubject("admin").setExpirationTime("200s").sign(key);
    expectUnauthorized(await login(jwt));
  });

  it("refuses expired tokens, tokens valid more than five minutes ahead and tokens without exp", async () => {
    const { importPKCS8 } = await import("jose");
    const key = await importPKCS8(mesh().adminKeyPem, "RS512");
    const now = Math.floor(Date.now() / 1000);
    const sign = (exp?: number) => {
      const jwt = new SignJWT({}).setProtectedHeader({ alg: "RS512" }).setSubject("admin");
      if (exp !== undefined) jwt.setExpirationTime(exp);
      return jwt.sign(key);
    };
    expectUnauthorized(await login(await sign(now - 120)));
    expectUnauthorized(await login(await sign(now + 3600)));
    expectUnauthorized(await login(await sign()));
    expect((await login(await sign(now + 290))).status).toBe(200);
  });

  it("refuses unknown users and garbage tokens with 401, never 500", async () => {
    expectUnauthorized(await login(await signLoginJwt("nobody-here", rsaKeyPair().privateKeyPem)));
    for (const bad of ["", "a.b", "not-a-jwt", "x".repeat(1_000_000), 42, null, { nested: true }]) {
      const res = await login(bad);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: res.status, message: expect.any(String) });
    }
  });

  it("answers malformed JSON with 401 and Symphony's error body (the only error the login spec lists)", async () => {
    const res = await raw("POST", "/login/pubkey/authenticate", { headers: { "content-type": "application/json" }, body: '{"token": ' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 401, message: "Malformed JSON body" });
  });
});

describe("session tokens", () => {
  it("identifies the caller on /pod/v2/sessioninfo", async () => {
    const admin = await adminBot();
    const res = await raw("GET", "/pod/v2/sessioninfo", { headers: { sessionToken: admin.sessionToken } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ username: "admin", accountType: "SYSTEM", roles: ["USER_PROVISIONING"], id: expect.any(Number) });
  });

  it("rejects missing, forged and wrong-audience tokens with 401", async () => {
    const admin = await adminBot();
    const parts = admin.sessionToken.split(".");
    const tampered = `${parts[0]}.${Buffer.from(JSON.stringify({ sub: "1", name: "x", aud: "symphony:pod", exp: 9999999999, jti: "x" })).toString("base64url")}.${parts[2]}`;
    for (const headers of [{} as Record<string, string>, { sessionToken: "random" }, { sessionToken: tampered }, { sessionToken: admin.keyManagerToken }]) {
      expectUnauthorized(await raw("GET", "/pod/v2/sessioninfo", { headers }));
    }
  });

  it("refuses a session of one bot paired with the key manager token of another", async () => {
    const [a, b] = [await newBot(), await newBot()];
    const res = await raw("GET", `/agent/v4/stream/7X1cP_3wMD4mr6rcp7j26X___oh4uDkVdA/message?since=0`, {
      headers: { sessionToken: a.bot.sessionToken, keyManagerToken: b.bot.keyManagerToken },
    });
    expectUnauthorized(res);
  });
});

describe("user provisioning", () => {
  it("lets only a USER_PROVISIONING session create users", async () => {
    const bot = await newBot();
    const { publicKeyPem } = rsaKeyPair();
    const res = await raw("POST", "/pod/v2/admin/user/create", {
      headers: { sessionToken: bot.bot.sessionToken },
      json: { userAttributes: { accountType: "SYSTEM", userName: "sneaky", displayName: "x", emailAddress: "s@x.io", currentKey: { key: publicKeyPem } } },
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 403, message: expect.any(String) });
  });

  it("returns a V2UserDetail and refuses a duplicate username", async () => {
    const admin = await adminBot();
    const { publicKeyPem } = rsaKeyPair();
    const attrs = { accountType: "NORMAL", userName: `user-${Date.now()}`, displayName: "A User", emailAddress: `u${Date.now()}@x.io`, currentKey: { key: publicKeyPem, action: "SAVE" } };
    const res = await raw("POST", "/pod/v2/admin/user/create", { headers: { sessionToken: admin.sessionToken }, json: { userAttributes: attrs, roles: ["INDIVIDUAL"] } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      userAttributes: { userName: attrs.userName, displayName: "A User", emailAddress: attrs.emailAddress, accountType: "NORMAL" },
      userSystemInfo: { id: expect.any(Number), status: "ENABLED" },
      roles: ["INDIVIDUAL"],
    });
    const again = await raw("POST", "/pod/v2/admin/user/create", { headers: { sessionToken: admin.sessionToken }, json: { userAttributes: attrs } });
    expect(again.status).toBe(400);
  });

  it("validates the body: bad key, unknown role, wrong types", async () => {
    const admin = await adminBot();
    const headers = { sessionToken: admin.sessionToken };
    const base = { accountType: "SYSTEM", userName: `v-${Date.now()}`, displayName: "V", emailAddress: `v${Date.now()}@x.io` };
    for (const json of [
      { userAttributes: { ...base, currentKey: { key: "not a key" } } },
      { userAttributes: base, roles: ["GOD"] },
      { userAttributes: { ...base, accountType: "ROBOT" } },
      { userAttributes: "nope" },
      { userAttributes: { ...base, userName: 12 } },
      [1, 2],
    ]) {
      const res = await raw("POST", "/pod/v2/admin/user/create", { headers, json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body).toEqual({ code: 400, message: expect.any(String) });
    }
  });
});
