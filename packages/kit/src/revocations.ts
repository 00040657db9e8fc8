import { Kvm, type KV } from "@nats-io/kv";
import type { Bus } from "./bus.js";
import type { Logger } from "./logger.js";
import type { Principal, TokenVerifier } from "./tokens.js";

/**
 * Revoked token ids, kept in a NATS KV bucket (JetStream, so it survives restarts and a
 * reconnecting service replays it). Every verifier follows the bucket and refuses a revoked
 * token as soon as the entry reaches it; entries expire after the longest session Symphony
 * allows (two weeks), when every revoked token has expired anyway.
 */
const RETENTION_MS = 14 * 24 * 3_600_000;

export class RevocationList {
  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus, bucket: string): Promise<RevocationList> {
    return new RevocationList(await new Kvm(bus.js).create(bucket, { ttl: RETENTION_MS, history: 1 }));
  }

  /** The value is the token's expiry, so verifiers forget the revocation when the token dies anyway. */
  async revoke(token: Pick<Principal, "jti" | "exp">): Promise<void> {
    await this.kv.put(token.jti, String(token.exp));
  }

  /** Revokes every token of the user issued until now (key revoked, account disabled). */
  async revokeUser(userId: number): Promise<void> {
    await this.kv.put(`user.${userId}`, String(Date.now()));
  }

  /** Applies current and future revocations to the verifier until the connection closes. */
  async follow(verifier: TokenVerifier, logger: Logger): Promise<void> {
    const watch = await this.kv.watch();
    void (async () => {
      for await (const entry of watch) {
        if (entry.operation !== "PUT") continue;
        const user = /^user\.(\d+)$/.exec(entry.key);
        if (user) verifier.revokeUserBefore(Number(user[1]), Number(entry.string()));
        // An entry without an expiry is kept as long as the bucket keeps it.
        else verifier.revoke({ jti: entry.key, exp: Number(entry.string()) || (Date.now() + RETENTION_MS) / 1000 });
      }
    })().catch((err: unknown) => logger.error({ err }, "revocation watch ended"));
  }
}
