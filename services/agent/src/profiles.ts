import { metadataOf, SESSION_TOKEN, unary } from "@symphony/kit";
import type { PodServiceClient } from "@symphony/proto/pod/v1/pod_service";
import type { UserV2 } from "@symphony/proto/pod/v1/users";

const TTL_MS = 30_000;
const MAX_ENTRIES = 100_000;

/**
 * Profiles of the users events name (initiators, affected users), the same for every reader, kept
 * briefly: a datafeed read would otherwise cost a pod round trip for names that rarely change.
 * A renamed user shows the new name within TTL_MS.
 */
export class ProfileCache {
  private readonly entries = new Map<number, { user: UserV2; until: number }>();

  constructor(private readonly pod: PodServiceClient) {}

  async get(ids: number[], sessionToken: string): Promise<Map<number, UserV2>> {
    const now = Date.now();
    const found = new Map<number, UserV2>();
    const missing: number[] = [];
    for (const id of ids) {
      const e = this.entries.get(id);
      if (e && e.until > now) found.set(id, e.user);
      else missing.push(id);
    }
    if (missing.length === 0) return found;
    const { users } = await unary(this.pod, this.pod.getUsers, { userIds: missing }, metadataOf({ [SESSION_TOKEN]: sessionToken }));
    if (this.entries.size + users.length > MAX_ENTRIES) this.entries.clear();
    for (const u of users) {
      this.entries.set(u.id, { user: u, until: now + TTL_MS });
      found.set(u.id, u);
    }
    return found;
  }
}
