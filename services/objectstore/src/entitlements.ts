import { Kvm, KvWatchInclude, type KV, type KvEntry } from "@nats-io/kv";
import type { Bus, Logger } from "@symphony/kit";

/**
 * Which pods may use the object store. Operators change it at run time (SetEntitlement); the
 * answers live in a NATS KV bucket keyed by pod id that every replica watches, so a change
 * reaches all of them within moments and survives restarts. Pods absent from the bucket get
 * the configured default.
 */
export class Entitlements {
  private readonly byPod = new Map<number, { enabled: boolean; revision: number }>();

  private constructor(
    private readonly kv: KV,
    private readonly enabledByDefault: boolean,
  ) {}

  static async open(bus: Bus, bucket: string, enabledByDefault: boolean, logger: Logger): Promise<Entitlements> {
    const entitlements = new Entitlements(await new Kvm(bus.js).create(bucket, { history: 1 }), enabledByDefault);
    await entitlements.load(logger);
    return entitlements;
  }

  /** Follows changes first, then reads what is there; revisions keep a late read from undoing a newer change. */
  private async load(logger: Logger): Promise<void> {
    const watch = await this.kv.watch({ include: KvWatchInclude.UpdatesOnly });
    void (async () => {
      for await (const entry of watch) this.apply(entry);
    })().catch((err: unknown) => logger.error({ err }, "entitlement watch ended"));
    for await (const key of await this.kv.keys()) {
      const entry = await this.kv.get(key);
      if (entry) this.apply(entry);
    }
  }

  private apply(entry: KvEntry): void {
    const podId = Number(entry.key);
    const known = this.byPod.get(podId);
    if (!Number.isSafeInteger(podId) || (known && known.revision >= entry.revision)) return;
    const enabled = entry.operation === "PUT" ? entry.string() === "true" : this.enabledByDefault;
    this.byPod.set(podId, { enabled, revision: entry.revision });
  }

  enabled(podId: number): boolean {
    return this.byPod.get(podId)?.enabled ?? this.enabledByDefault;
  }

  async set(podId: number, enabled: boolean): Promise<void> {
    const revision = await this.kv.put(String(podId), String(enabled));
    const known = this.byPod.get(podId);
    if (!known || known.revision < revision) this.byPod.set(podId, { enabled, revision });
  }
}
