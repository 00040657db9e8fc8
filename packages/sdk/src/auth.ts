import { SignJWT } from "jose";
import { createPrivateKey, type KeyObject } from "node:crypto";

/**
 * The RS512 JWT Symphony's /login and /relay expect: {sub: username, exp}, exp 240 s ahead
 * as the official clients do (the server accepts at most five minutes).
 */
export function signLoginJwt(username: string, privateKey: string | KeyObject, lifetimeSeconds = 240): Promise<string> {
  // A PEM may be PKCS#1 or PKCS#8, like the official clients accept.
  const key = typeof privateKey === "string" ? createPrivateKey(privateKey) : privateKey;
  return new SignJWT({})
    .setProtectedHeader({ alg: "RS512" })
    .setSubject(username)
    .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeSeconds)
    .sign(key);
}
