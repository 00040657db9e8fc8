import { createLocalJWKSet, exportJWK, importPKCS8, jwtVerify, SignJWT, type CryptoKey, type JSONWebKeySet, type JWTPayload } from "jose";
import { createHash, createPrivateKey, createPublicKey, randomUUID } from "node:crypto";
import { AUDIENCE } from "@symphony/proto/contracts";
import { unauthenticated } from "./errors.js";
import { ATTR, inSpan, SPAN } from "./telemetry.js";

// Session and key manager tokens: EdDSA JWTs signed by their issuer, checked by any
// service from the issuer's public key without a database round trip.
export const SESSION_AUDIENCE = AUDIENCE.session;
export const KEY_MANAGER_AUDIENCE = AUDIENCE.keyManager;
const MAX_TOKEN_LENGTH = 4096;
// Below this many revocations, expired ones are not worth a sweep.
const MIN_PRUNE = 1_024;

export interface Principal {
  userId: number;
  username: string;
  jti: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /** Issue time, epoch milliseconds (for "every session of this user issued before T is revoked"). */
  issuedAtMs: number;
}

export class TokenIssuer {
  private constructor(
    private readonly key: CryptoKey,
    private readonly kid: string,
    private readonly audience: string,
    private readonly ttlSeconds: number,
    readonly jwks: JSONWebKeySet,
  ) {}

  static async fromPem(pkcs8Pem: string, audience: string, ttlSeconds: number): Promise<TokenIssuer> {
    const key = await importPKCS8(pkcs8Pem, "EdDSA");
    const publicJwk = await exportJWK(createPublicKey(createPrivateKey(pkcs8Pem)));
    const kid = createHash("sha256").update(JSON.stringify(publicJwk)).digest("base64url").slice(0, 16);
    return new TokenIssuer(key, kid, audience, ttlSeconds, { keys: [{ ...publicJwk, kid, alg: "EdDSA", use: "sig" }] });
  }

  issue(userId: number, username: string): Promise<string> {
    return new SignJWT({ name: username, iat_ms: Date.now() })
      .setProtectedHeader({ alg: "EdDSA", kid: this.kid, typ: "JWT" })
      .setSubject(String(userId))
      .setAudience(this.audience)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }
}

/**
 * Verifies tokens of one audience. Verified tokens are remembered until they expire, so a
 * bot's steady traffic costs one signature check per token, not one per call.
 */
export class TokenVerifier {
  private keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  private readonly verified = new Map<string, Principal>();
  /** Revoked token ids with their tokens' expiry (epoch seconds): after it, the entry is useless. */
  private readonly revoked = new Map<string, number>();
  private pruneRevokedAt = MIN_PRUNE;
  private readonly revokedBefore = new Map<number, number>();

  constructor(
    private readonly audience: string,
    private readonly loadJwks: () => Promise<JSONWebKeySet>,
    private readonly maxCached = 100_000,
  ) {}

  /** Refuses the token from now on; the entry is dropped once the token has expired anyway. */
  revoke(token: Pick<Principal, "jti" | "exp">): void {
    this.revoked.set(token.jti, token.exp);
    for (const [t, p] of this.verified) if (p.jti === token.jti) this.verified.delete(t);
    if (this.revoked.size >= this.pruneRevokedAt) {
      const now = Date.now() / 1000;
      for (const [jti, exp] of this.revoked) if (exp <= now) this.revoked.delete(jti);
      // Pruning again only once the list has doubled keeps every revoke O(1) amortized.
      this.pruneRevokedAt = Math.max(MIN_PRUNE, 2 * this.revoked.size);
    }
  }

  /** How many revocations the verifier holds (bounded by the tokens revoked and not yet expired). */
  get revokedCount(): number {
    return this.revoked.size;
  }

  /** Every token of the user issued before `ms` is refused (key revoked, user disabled). */
  revokeUserBefore(userId: number, ms: number): void {
    this.revokedBefore.set(userId, Math.max(ms, this.revokedBefore.get(userId) ?? 0));
  }

  private live(p: Principal, nowSeconds: number): boolean {
    return p.exp > nowSeconds && p.issuedAtMs >= (this.revokedBefore.get(p.userId) ?? 0);
  }

  verify(token: string | undefined): Promise<Principal> {
    return inSpan(SPAN.tokenVerify, { [ATTR.tokenKind]: this.audience }, async (span) => {
      const principal = await this.principalOf(token);
      span.setAttribute(ATTR.userId, principal.userId);
      return principal;
    });
  }

  private async principalOf(token: string | undefined): Promise<Principal> {
    if (!token) throw unauthenticated();
    const now = Date.now() / 1000;
    const hit = this.verified.get(token);
    if (hit) {
      if (this.live(hit, now)) return hit;
      this.verified.delete(token);
      throw unauthenticated();
    }
    if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated();
    const principal = await this.check(token);
    if (this.revoked.has(principal.jti) || !this.live(principal, now)) throw unauthenticated();
    if (this.verified.size >= this.maxCached) this.verified.clear();
    this.verified.set(token, principal);
    return principal;
  }

  private async check(token: string, reloaded = false): Promise<Principal> {
    this.keySet ??= createLocalJWKSet(await this.loadJwks());
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet, { audience: this.audience, algorithms: ["EdDSA"], requiredClaims: ["sub", "exp", "jti"] }));
    } catch (err) {
      // An unknown key id may mean the issuer rotated its key: refresh the key set once.
      if (!reloaded && (err as { code?: string }).code === "ERR_JWKS_NO_MATCHING_KEY") {
        this.keySet = undefined;
        return this.check(token, true);
      }
      throw unauthenticated();
    }
    const userId = Number(payload.sub);
    if (!Number.isSafeInteger(userId) || typeof payload.name !== "string" || typeof payload.iat_ms !== "number") throw unauthenticated();
    return { userId, username: payload.name, jti: payload.jti!, exp: payload.exp!, issuedAtMs: payload.iat_ms };
  }
}
