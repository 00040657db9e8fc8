import { constants, privateDecrypt, type KeyObject } from "node:crypto";
import type { SymphonyBot } from "../bot.js";
import { DecryptionError } from "../errors.js";
import { queryString } from "../http.js";
import type { ContentKey } from "./envelope.js";

interface WrappedContentKey {
  rotationId?: number;
  wrappedKey?: string;
}

/** Unwraps a content key the key manager wrapped to our RSA public key (RSA-OAEP, SHA-256). */
export function unwrapContentKey(privateKey: KeyObject | string, wrapped: Uint8Array): Buffer {
  let key: Buffer;
  try {
    key = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, wrapped);
  } catch {
    throw new DecryptionError("The content key does not unwrap with this private key");
  }
  if (key.length !== 32) throw new DecryptionError("The unwrapped content key is not an AES-256 key");
  return key;
}

export interface ContentKeyCacheOptions {
  /** How long the current rotation of a thread is trusted before asking again (default 30 s). */
  currentTtlMs?: number;
  /** Keys kept, least recently used dropped first (default 1000, Allegro's cache size). */
  maxEntries?: number;
}

/**
 * The bot's content keys, fetched from the key manager wrapped to its own RSA key and
 * unwrapped here, so no agent (and no server) sees them in clear on their way to us.
 * A key of a given (thread, rotation) never changes, so it stays cached; which rotation is
 * current is re-asked after currentTtlMs, so new objects pick up a key rotation soon after it.
 * The key manager releases keys to members of the thread only (a 403 otherwise).
 */
export class ContentKeyCache {
  private readonly keys = new Map<string, Promise<ContentKey>>();
  private readonly current = new Map<string, { rotationId: Promise<number>; expiresAt: number }>();
  private readonly currentTtlMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly bot: SymphonyBot,
    options: ContentKeyCacheOptions = {},
  ) {
    this.currentTtlMs = options.currentTtlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 1000;
  }

  /** The key new payloads of the thread are encrypted with. */
  async currentKey(threadId: string): Promise<ContentKey> {
    const cached = this.current.get(threadId);
    if (cached && cached.expiresAt > Date.now()) return this.rotation(threadId, await cached.rotationId);
    const fetched = this.fetch(threadId, undefined);
    const rotationId = fetched.then((k) => k.rotationId);
    this.current.set(threadId, { rotationId, expiresAt: Date.now() + this.currentTtlMs });
    rotationId.then(
      (r) => this.remember(`${threadId}/${r}`, fetched),
      () => this.current.delete(threadId),
    );
    return fetched;
  }

  /** The key of one rotation of the thread, to open what was sealed with it. */
  rotation(threadId: string, rotationId: number): Promise<ContentKey> {
    const id = `${threadId}/${rotationId}`;
    const hit = this.keys.get(id);
    if (hit) {
      this.keys.delete(id);
      this.keys.set(id, hit);
      return hit;
    }
    const fetched = this.fetch(threadId, rotationId);
    this.remember(id, fetched);
    fetched.catch(() => this.keys.get(id) === fetched && this.keys.delete(id));
    return fetched;
  }

  /** Forgets a thread's keys, e.g. after leaving it. */
  forget(threadId: string): void {
    this.current.delete(threadId);
    for (const id of this.keys.keys()) if (id.startsWith(`${threadId}/`)) this.keys.delete(id);
  }

  private remember(id: string, key: Promise<ContentKey>): void {
    this.keys.set(id, key);
    while (this.keys.size > this.maxEntries) this.keys.delete(this.keys.keys().next().value!);
  }

  private async fetch(threadId: string, rotationId: number | undefined): Promise<ContentKey> {
    const res = await this.bot.call<WrappedContentKey>("GET", `/keystore/wrappedContentKeys/one${queryString({ streamId: threadId, rotationId })}`);
    if (!res.wrappedKey) throw new DecryptionError("The key manager answered without a wrapped key");
    // proto3 JSON leaves zero out.
    return { rotationId: res.rotationId ?? 0, key: unwrapContentKey(this.bot.privateKey, Buffer.from(res.wrappedKey, "base64")) };
  }
}
