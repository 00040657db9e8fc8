import { ATTR, CLIENT_TRACE_ID, inSpan, KEY_MANAGER_TOKEN, meter, metadataOf, SPAN, unary } from "@symphony/kit";
import type { KeyManagerServiceClient } from "@symphony/proto/keymanager/v1/keymanager_service";
import type { EnvelopeKey } from "./envelope.js";

const CURRENT = -1;

const lookups = meter.createCounter("symphony.agent.key_cache.lookups", {
  description: "Content key lookups by the agent, by result (hit: no key manager round trip, miss)",
});

interface Entry {
  key: Promise<EnvelopeKey>;
  expiresAt: number;
}

/**
 * Content keys released by the key manager, per (user, stream, rotation), so a warm stream
 * costs no key manager round trip. Concurrent misses share one request. Entries are dropped
 * on a NATS notice (member removed, key rotated or shredded) and expire after ttlMs; the pod
 * checks membership on every read and send regardless.
 */
export class ContentKeyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly km: KeyManagerServiceClient,
    /** 0 turns caching off (every send and read asks the key manager). */
    private readonly ttlMs = 5 * 60_000,
    private readonly maxEntries = 50_000,
  ) {}

  /** Drops cached keys of a stream: every user's (rotation, shred) or one user's (removed member). */
  invalidate(streamId: string, userId = 0): void {
    const prefix = userId === 0 ? undefined : `${userId}/${streamId}/`;
    for (const id of this.entries.keys()) {
      if (prefix ? id.startsWith(prefix) : id.includes(`/${streamId}/`)) this.entries.delete(id);
    }
  }

  /** The caller's credentials towards the key manager; the trace id lands in its audit trail. */
  current(userId: number, streamId: string, km: { kmToken: string; traceId: string }): Promise<EnvelopeKey> {
    return this.get(userId, streamId, CURRENT, km);
  }

  rotation(userId: number, streamId: string, rotationId: number, km: { kmToken: string; traceId: string }): Promise<EnvelopeKey> {
    return this.get(userId, streamId, rotationId, km);
  }

  private get(userId: number, streamId: string, rotationId: number, caller: { kmToken: string; traceId: string }): Promise<EnvelopeKey> {
    return inSpan(SPAN.contentKey, { [ATTR.streamId]: streamId, [ATTR.userId]: userId }, async (span) => {
      const id = `${userId}/${streamId}/${rotationId}`;
      const hit = this.entries.get(id);
      const cached = hit !== undefined && hit.expiresAt > Date.now();
      span.setAttribute(ATTR.keyCache, cached ? "hit" : "miss");
      lookups.add(1, { result: cached ? "hit" : "miss" });
      const key = await (cached ? hit.key : this.fetch(id, streamId, rotationId, caller));
      span.setAttribute(ATTR.rotationId, key.rotationId);
      if (cached) span.addEvent("key_cache.hit", { [ATTR.rotationId]: key.rotationId });
      return key;
    });
  }

  private fetch(id: string, streamId: string, rotationId: number, caller: { kmToken: string; traceId: string }): Promise<EnvelopeKey> {
    const now = Date.now();
    const key = unary(
      this.km,
      this.km.getContentKey,
      { streamId, rotationId: rotationId === CURRENT ? undefined : rotationId },
      metadataOf({ [KEY_MANAGER_TOKEN]: caller.kmToken, [CLIENT_TRACE_ID]: caller.traceId || undefined }),
    ).then((res) => ({ rotationId: res.rotationId, key: res.key }));
    if (this.ttlMs === 0) return key;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(id, { key, expiresAt: now + this.ttlMs });
    // A refusal is not remembered: the next call asks again.
    key.catch(() => this.entries.delete(id));
    return key;
  }
}
