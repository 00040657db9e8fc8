import { constants, generateKeyPairSync, publicEncrypt, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DecryptionError } from "../errors.js";
import { unwrapContentKey } from "./content-keys.js";

const bot = generateKeyPairSync("rsa", { modulusLength: 2048 });
const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });
// What the key manager's GetWrappedContentKey does with the caller's registered public key.
const wrap = (publicKey: typeof bot.publicKey, key: Buffer) => publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, key);

describe("content key unwrap", () => {
  it("opens a key wrapped to the bot's public key with its private key (KeyObject or PEM)", () => {
    const key = randomBytes(32);
    expect(unwrapContentKey(bot.privateKey, wrap(bot.publicKey, key)).equals(key)).toBe(true);
    const pkcs1 = bot.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    expect(unwrapContentKey(pkcs1, wrap(bot.publicKey, key)).equals(key)).toBe(true);
  });

  it("refuses a key wrapped to someone else, altered, or not 32 bytes long", () => {
    const key = randomBytes(32);
    expect(() => unwrapContentKey(bot.privateKey, wrap(stranger.publicKey, key))).toThrow(DecryptionError);
    const altered = wrap(bot.publicKey, key);
    altered[10]! ^= 1;
    expect(() => unwrapContentKey(bot.privateKey, altered)).toThrow(DecryptionError);
    expect(() => unwrapContentKey(bot.privateKey, wrap(bot.publicKey, randomBytes(16)))).toThrow(DecryptionError);
    const pkcs1v15 = publicEncrypt({ key: bot.publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
    expect(() => unwrapContentKey(bot.privateKey, pkcs1v15)).toThrow(DecryptionError);
  });
});
