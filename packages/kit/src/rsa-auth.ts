import { createPublicKey, type KeyObject } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { unauthenticated } from "./errors.js";

// Symphony's RSA authentication: an RS512 JWT {sub: username, exp} signed with the user's
// private key, exp at most five minutes ahead. Every failure is the same 401.
const MAX_LIFETIME_SECONDS = 300;
// The official clients sign exp = now + 240 s; this absorbs clock skew between bot and server.
const CLOCK_SKEW_SECONDS = 30;
const MAX_JWT_LENGTH = 16 * 1024;

export const AUTH_FAILED = "Invalid authentication token";

/** The username the JWT claims, before its signature is checked (used to find the keys). */
export function claimedUsername(jwt: string): string {
  if (typeof jwt !== "string" || jwt.length === 0 || jwt.length > MAX_JWT_LENGTH) throw unauthenticated(AUTH_FAILED);
  try {
    if (decodeProtectedHeader(jwt).alg !== "RS512") throw new Error("alg");
    const { sub } = decodeJwt(jwt);
    if (typeof sub !== "string" || sub.length === 0 || sub.length > 256) throw new Error("sub");
    return sub;
  } catch {
    throw unauthenticated(AUTH_FAILED);
  }
}

const keyCache = new Map<string, KeyObject>();

function publicKey(pem: string): KeyObject {
  let key = keyCache.get(pem);
  if (!key) {
    key = createPublicKey(pem);
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(pem, key);
  }
  return key;
}

/** Verifies the JWT against any of the user's registered public keys (PEM). */
export async function verifyRsaLoginJwt(jwt: string, publicKeysPem: string[], nowSeconds = Date.now() / 1000): Promise<void> {
  for (const pem of publicKeysPem) {
    try {
      const { payload } = await jwtVerify(jwt, publicKey(pem), {
        algorithms: ["RS512"],
        requiredClaims: ["sub", "exp"],
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(nowSeconds * 1000),
      });
      if (typeof payload.exp === "number" && payload.exp <= nowSeconds + MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) return;
    } catch {
      // try the next key (a user has at most a current and a previous one)
    }
  }
  throw unauthenticated(AUTH_FAILED);
}
