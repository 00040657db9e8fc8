import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { KEY_MANAGER_AUDIENCE, SESSION_AUDIENCE, TokenIssuer, TokenVerifier } from "./tokens.js";

const pem = () => generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();

describe("session and key manager tokens", () => {
  it("verify offline from the issuer's JWKS and name the principal", async () => {
    const issuer = await TokenIssuer.fromPem(pem(), SESSION_AUDIENCE, 3600);
    let loads = 0;
    const verifier = new TokenVerifier(SESSION_AUDIENCE, async () => (loads++, issuer.jwks));
    const token = await issuer.issue(42, "bot");
    await expect(verifier.verify(token)).resolves.toMatchObject({ userId: 42, username: "bot" });
    await verifier.verify(token);
    expect(loads).toBe(1);
  });

  it("are refused by the other audience and by another issuer's keys", async () => {
    const pod = await TokenIssuer.fromPem(pem(), SESSION_AUDIENCE, 3600);
    const km = await TokenIssuer.fromPem(pem(), KEY_MANAGER_AUDIENCE, 3600);
    const sessionVerifier = new TokenVerifier(SESSION_AUDIENCE, async () => pod.jwks);
    await expect(sessionVerifier.verify(await km.issue(1, "x"))).rejects.toMatchObject({ code: 16 });
    const forger = await TokenIssuer.fromPem(pem(), SESSION_AUDIENCE, 3600);
    await expect(sessionVerifier.verify(await forger.issue(1, "x"))).rejects.toMatchObject({ code: 16 });
  });

  it("expire, and stop verifying once revoked", async () => {
    const issuer = await TokenIssuer.fromPem(pem(), SESSION_AUDIENCE, 1);
    const verifier = new TokenVerifier(SESSION_AUDIENCE, async () => issuer.jwks);
    const token = await issuer.issue(7, "bot");
    const principal = await verifier.verify(token);
    verifier.revoke(principal);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 16 });
    const short = await issuer.issue(8, "bot");
    await new Promise((r) => setTimeout(r, 2100));
    await expect(verifier.verify(short)).rejects.toMatchObject({ code: 16 });
  });

  it("forget revocations once their tokens have expired, so every logout does not grow memory for good", async () => {
    const issuer = await TokenIssuer.fromPem(pem(), SESSION_AUDIENCE, 3600);
    const verifier = new TokenVerifier(SESSION_AUDIENCE, async () => issuer.jwks);
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 5_000; i++) verifier.revoke({ jti: `expired-${i}`, exp: now - 1 });
    expect(verifier.revokedCount).toBeLessThanOrEqual(1_024);
    // A revocation whose token still lives survives every sweep.
    const revokedToken = await issuer.issue(10, "bot");
    verifier.revoke(await verifier.verify(revokedToken));
    for (let i = 0; i < 3_000; i++) verifier.revoke({ jti: `more-${i}`, exp: now - 1 });
    await expect(verifier.verify(revokedToken)).rejects.toMatchObject({ code: 16 });
  });

  it("refuse garbage without throwing anything but UNAUTHENTICATED", async () => {
    const issuer = await TokenIssuer.fromPem(pem(), SESSION_AUDIENCE, 60);
    const verifier = new TokenVerifier(SESSION_AUDIENCE, async () => issuer.jwks);
    for (const bad of [undefined, "", "abc", "a.b.c", "x".repeat(10_000)]) {
      await expect(verifier.verify(bad)).rejects.toMatchObject({ code: 16 });
    }
  });
});
