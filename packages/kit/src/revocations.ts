import { Kvm, type KV } from "@nats-io/kv";
import type { Bus } from "./bus.js";
import type { Logger } from "./logger.js";
import type { TokenVerifier } from "./tokens.js";

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

  async revoke(jti: string): Promise<void> {
    await this.kv.put(jti, "");
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
        else verifier.revoke(entry.key);
      }
    })().catch((err: unknown) => logger.error({ err }, "revocation watch ended"));
  }
}
