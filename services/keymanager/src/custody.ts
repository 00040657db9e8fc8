import { randomBytes } from "node:crypto";
import { ConfigError, DecryptionError, GrpcError, open, seal, status, unavailable, type Logger } from "@symphony/kit";
import type { MasterKeyRing } from "./master-keys.js";
import type { ContentKeyRow, KeyStore } from "./store.js";

export const SHREDDED = "The keys of this stream were destroyed; its messages can no longer be read";

/** A stream whose keys were crypto-shredded: permanent, so callers can tell it from other failures by type. */
export class ShreddedError extends GrpcError {
  constructor() {
    super(status.DATA_LOSS, SHREDDED);
  }
}

// The wrapped key is bound to its stream and rotation, so a row copied onto another stream fails to unwrap.
const wrapAad = (streamId: string, rotationId: number) => Buffer.from(`${streamId}/${rotationId}`);
const CHECK_PLAINTEXT = Buffer.from("symphony key manager master key check");
const checkAad = (version: number) => Buffer.from(`master-key/${version}`);
const REWRAP_BATCH = 200;

export interface ReleasedKey {
  rotationId: number;
  key: Buffer;
}

/**
 * Custody of stream content keys: generated on first use, kept only wrapped by the newest
 * master key, rotated, rewrapped when the master key rotates, destroyed on crypto-shred.
 */
/** Who asked for a rotation, and why, as its audit row names them. */
export interface RotationAudit {
  user_id: number;
  action: "ROTATE" | "ROTATE_ON_MEMBERSHIP";
  trace_id: string;
}

export class KeyCustody {
  private rewrapping: Promise<void> | undefined;

  private constructor(
    private readonly store: KeyStore,
    private ring: MasterKeyRing,
    private readonly logger: Logger,
  ) {}

  static async open(store: KeyStore, ring: MasterKeyRing, logger: Logger): Promise<KeyCustody> {
    const custody = new KeyCustody(store, ring, logger);
    await custody.adopt(ring);
    return custody;
  }

  get currentVersion(): number {
    return this.ring.current;
  }

  get loadedVersions(): number[] {
    return [...this.ring.keys.keys()].sort((a, b) => a - b);
  }

  /**
   * Checks the ring against the database before using it: every version the database knows
   * must be the same key, and every version wrapping a content key must be loaded.
   * Throws ConfigError and writes nothing on a mismatch.
   */
  async adopt(ring: MasterKeyRing): Promise<void> {
    const checks = await this.store.masterKeyChecks();
    for (const [version, key] of ring.keys) {
      const check = checks.get(version);
      if (!check) continue;
      try {
        open(key, check, checkAad(version));
      } catch {
        throw new ConfigError(`master key version ${version} is not the key this key manager's database was written with`);
      }
    }
    const missing = (await this.store.masterKeyVersionsInUse()).filter((v) => !ring.keys.has(v));
    if (missing.length > 0) throw new ConfigError(`content keys are wrapped by master key version(s) ${missing.join(", ")}, which are not loaded`);
    for (const [version, key] of ring.keys) {
      if (!checks.has(version)) await this.store.recordMasterKeyCheck(version, seal(key, CHECK_PLAINTEXT, checkAad(version)));
    }
    this.ring = ring;
    this.startRewrap();
  }

  private unwrap(row: ContentKeyRow): Buffer {
    const kek = this.ring.keys.get(row.kek_version);
    // Another replica may already use a newer master key this one has not loaded yet: retryable.
    if (!kek) throw unavailable(`master key version ${row.kek_version} is not loaded here`);
    try {
      return open(kek, row.wrapped_key, wrapAad(row.stream_id, row.rotation_id));
    } catch (err) {
      if (err instanceof DecryptionError) {
        this.logger.error({ streamId: row.stream_id, rotationId: row.rotation_id }, "wrapped content key failed authentication");
        throw new GrpcError(status.DATA_LOSS, "The stream's content key is damaged");
      }
      throw err;
    }
  }

  private async create(streamId: string, rotationId: number, audit?: RotationAudit): Promise<boolean> {
    const kek = this.ring.keys.get(this.ring.current)!;
    const row = {
      stream_id: streamId,
      rotation_id: rotationId,
      wrapped_key: seal(kek, randomBytes(32), wrapAad(streamId, rotationId)),
      kek_version: this.ring.current,
      created_at: Date.now(),
    };
    return audit ? this.store.insertKeyAudited(row, { ...audit, at: row.created_at, decision: "ROTATED" }) : this.store.insertKey(row);
  }

  /** The requested rotation, or the current one (created on first use); undefined when that rotation does not exist. */
  async contentKey(streamId: string, rotationId: number | undefined): Promise<ReleasedKey | undefined> {
    // Both lookups at once: a release is one round trip of latency, not two.
    const [shredded, found] = await Promise.all([
      this.store.isShredded(streamId),
      rotationId === undefined ? this.store.currentKey(streamId) : this.store.key(streamId, rotationId),
    ]);
    if (shredded) throw new ShreddedError();
    let row = found;
    if (!row && rotationId === undefined) {
      await this.create(streamId, 1);
      row = await this.store.currentKey(streamId);
    }
    return row && { rotationId: row.rotation_id, key: this.unwrap(row) };
  }

  /**
   * Starts the next rotation, committed with its audit row; concurrent rotations of one stream each
   * get their own id.
   */
  async rotate(streamId: string, audit: RotationAudit): Promise<number> {
    if (await this.store.isShredded(streamId)) throw new ShreddedError();
    for (;;) {
      const next = ((await this.store.currentKey(streamId))?.rotation_id ?? 0) + 1;
      if (await this.create(streamId, next, audit)) return next;
    }
  }

  shred(streamId: string, by: number): Promise<number> {
    return this.store.shred(streamId, by, Date.now());
  }

  pendingRewrap(): Promise<number> {
    return this.store.countWrappedByOtherThan(this.ring.current);
  }

  /** Rewraps content keys held under older master keys, in the background, batch by batch. */
  startRewrap(): Promise<void> {
    this.rewrapping ??= (async () => {
      try {
        let done = 0;
        for (;;) {
          const rows = await this.store.keysWrappedByOtherThan(this.ring.current, REWRAP_BATCH);
          if (rows.length === 0) break;
          const kek = this.ring.keys.get(this.ring.current)!;
          for (const row of rows) {
            await this.store.rewrap(row, seal(kek, this.unwrap(row), wrapAad(row.stream_id, row.rotation_id)), this.ring.current);
          }
          done += rows.length;
        }
        if (done > 0) this.logger.info({ rewrapped: done, version: this.ring.current }, "content keys rewrapped under the current master key");
      } catch (err) {
        this.logger.error({ err }, "rewrap stopped; it resumes on the next reload or restart");
      } finally {
        this.rewrapping = undefined;
      }
    })();
    return this.rewrapping;
  }
}
