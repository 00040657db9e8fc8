import { importPKCS8, SignJWT } from "jose";
import { createPrivateKey } from "node:crypto";

/**
 * The RS512 JWT Symphony's /login and /relay expect: {sub: username, exp}, exp 240 s ahead
 * as the official clients do (the server accepts at most five minutes).
 */
export async function signLoginJwt(username: string, privateKeyPem: string, lifetimeSeconds = 240): Promise<string> {
  // Accepts PKCS#1 and PKCS#8 PEM, like the official clients.
  const pkcs8 = createPrivateKey(privateKeyPem).export({ type: "pkcs8", format: "pem" }).toString();
  const key = await importPKCS8(pkcs8, "RS512");
  return new SignJWT({})
    .setProtectedHeader({ alg: "RS512" })
    .setSubject(username)
    .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeSeconds)
    .sign(key);
}
