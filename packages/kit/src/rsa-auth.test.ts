import { generateKeyPairSync } from "node:crypto";
import { importPKCS8, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { claimedUsername, verifyRsaLoginJwt } from "./rsa-auth.js";

const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { priv: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), pub: publicKey.export({ type: "spki", format: "pem" }).toString() };
};
const bot = pair();
const other = pair();
const now = Math.floor(Date.now() / 1000);

async function jwt(opts: { key?: string; alg?: string; sub?: string; exp?: number | null } = {}) {
  const key = await importPKCS8(opts.key ?? bot.priv, opts.alg ?? "RS512");
  const j = new SignJWT({}).setProtectedHeader({ alg: opts.alg ?? "RS512" }).setSubject(opts.sub ?? "bot");
  if (opts.exp !== null) j.setExpirationTime(opts.exp ?? now + 240);
  return j.sign(key);
}

describe("Symphony RSA login JWTs", () => {
  it("accept an official-client shaped token (RS512, exp now+240)", async () => {
    const token = await jwt();
    expect(claimedUsername(token)).toBe("bot");
    await expect(verifyRsaLoginJwt(token, [bot.pub])).resolves.toBeUndefined();
  });

  it("accept the previous key while it is still registered", async () => {
    await expect(verifyRsaLoginJwt(await jwt(), [other.pub, bot.pub])).resolves.toBeUndefined();
  });

  it("tolerate 30 s of clock skew either way", async () => {
    const token = await jwt({ exp: now + 240 });
    await expect(verifyRsaLoginJwt(token, [bot.pub], now + 30)).resolves.toBeUndefined();
    await expect(verifyRsaLoginJwt(token, [bot.pub], now - 30)).resolves.toBeUndefined();
  });

  it("refuse other keys, other algorithms, lifetimes over five minutes, expired and exp-less tokens", async () => {
    await expect(verifyRsaLoginJwt(await jwt(), [other.pub])).rejects.toMatchObject({ code: 16 });
    await expect(verifyRsaLoginJwt(await jwt({ alg: "RS256" }), [bot.pub])).rejects.toMatchObject({ code: 16 });
    await expect(verifyRsaLoginJwt(await jwt({ alg: "PS512" }), [bot.pub])).rejects.toMatchObject({ code: 16 });
    await expect(verifyRsaLoginJwt(await jwt({ exp: now + 400 }), [bot.pub])).rejects.toMatchObject({ code: 16 });
    await expect(verifyRsaLoginJwt(await jwt({ exp: now - 60 }), [bot.pub])).rejects.toMatchObject({ code: 16 });
    await expect(verifyRsaLoginJwt(await jwt({ exp: null }), [bot.pub])).rejects.toMatchObject({ code: 16 });
    await expect(verifyRsaLoginJwt(await jwt(), [])).rejects.toMatchObject({ code: 16 });
  });

  it("refuse malformed tokens before any key lookup", () => {
    for (const bad of ["", "a.b", "x".repeat(20_000), "eyJhbGciOiJub25lIn0.eyJzdWIiOiJib3QifQ.", 42 as unknown as string]) {
      expect(() => claimedUsername(bad)).toThrow(expect.objectContaining({ code: 16 }));
    }
  });
});
