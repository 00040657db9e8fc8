import { randomBytes } from "node:crypto";
import { open, seal } from "@symphony/kit";
import type { KeyStore } from "./store.js";

export interface MasterKey {
  version: number;
  key: Buffer;
}

// The wrapped key is bound to its stream and rotation, so a row copied onto another stream fails to unwrap.
const wrapAad = (streamId: string, rotationId: number) => Buffer.from(`${streamId}/${rotationId}`);

/** Content keys of streams, generated on first use and kept wrapped by the master key. */
export class KeyCustody {
  constructor(
    private readonly store: KeyStore,
    private readonly master: MasterKey,
  ) {}

  async contentKey(streamId: string, rotationId: number | undefined): Promise<{ rotationId: number; key: Buffer } | undefined> {
    let row = rotationId === undefined ? await this.store.currentKey(streamId) : await this.store.key(streamId, rotationId);
    if (!row && rotationId === undefined) {
      await this.store.insertKey({
        stream_id: streamId,
        rotation_id: 1,
        wrapped_key: seal(this.master.key, randomBytes(32), wrapAad(streamId, 1)),
        kek_version: this.master.version,
        created_at: Date.now(),
      });
      row = await this.store.currentKey(streamId);
    }
    if (!row) return undefined;
    if (row.kek_version !== this.master.version) throw new Error(`content key wrapped by master key version ${row.kek_version}, which is not loaded`);
    return { rotationId: row.rotation_id, key: open(this.master.key, row.wrapped_key, wrapAad(streamId, row.rotation_id)) };
  }
}
