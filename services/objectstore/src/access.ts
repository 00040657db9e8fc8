import { notFound, streamNotAccessible } from "@symphony/kit";
import { noPermission } from "./errors.js";
import type { Pods, TenantPrincipal } from "./pods.js";
import type { ObjectStore, PartitionAccess } from "./store.js";

const partitionNotFound = () => notFound("The partition does not exist");

/**
 * The rights of one caller during one request: partition grants and thread memberships, each
 * looked up once. Owners and grantees pass the partition gate; the thread gate then asks the
 * pod for membership, except for an explicit READ grant, which lets a non-member fetch ciphertext
 * (the key stays with the key manager, which releases it to members only).
 */
export class Access {
  private readonly partitions = new Map<string, Promise<PartitionAccess | undefined>>();
  private readonly memberships = new Map<string, Promise<boolean>>();

  constructor(
    readonly caller: TenantPrincipal,
    private readonly store: ObjectStore,
    private readonly pods: Pods,
  ) {}

  partition(partitionHash: Buffer): Promise<PartitionAccess | undefined> {
    const key = partitionHash.toString("base64url");
    let p = this.partitions.get(key);
    if (!p) this.partitions.set(key, (p = this.store.partitionAccess(this.caller.podId, partitionHash, this.caller.userId)));
    return p;
  }

  async existingPartition(partitionHash: Buffer): Promise<PartitionAccess> {
    const p = await this.partition(partitionHash);
    if (!p) throw partitionNotFound();
    return p;
  }

  isOwner = (p: PartitionAccess) => p.ownerId === this.caller.userId;

  member(threadId: string): Promise<boolean> {
    let m = this.memberships.get(threadId);
    if (!m) this.memberships.set(threadId, (m = this.pods.isMember(this.caller, threadId)));
    return m;
  }

  /** Partition metadata and its user list: for the owner and anyone holding a grant. */
  async requireAnyRight(partitionHash: Buffer): Promise<PartitionAccess> {
    const p = await this.existingPartition(partitionHash);
    if (!this.isOwner(p) && !p.grant) throw noPermission("permission on this partition");
    return p;
  }

  /** Listing a partition: the owner or a READ grant. */
  async requireListing(partitionHash: Buffer): Promise<PartitionAccess> {
    const p = await this.existingPartition(partitionHash);
    if (!this.isOwner(p) && !p.grant?.read) throw noPermission("READ permission on this partition");
    return p;
  }

  async requireWrite(partitionHash: Buffer, threadId: string | null | undefined): Promise<void> {
    const p = await this.existingPartition(partitionHash);
    if (!this.isOwner(p) && !p.grant?.write) throw noPermission("WRITE permission on this partition");
    if (threadId && !(await this.member(threadId))) throw streamNotAccessible();
  }

  /** Why the caller may not read an object of this partition and thread, or undefined when it may. */
  async readRefusal(partitionHash: Buffer, threadId: string | null): Promise<Error | undefined> {
    const p = await this.partition(partitionHash);
    if (!p) return partitionNotFound();
    if (p.grant?.read) return undefined;
    if (!this.isOwner(p)) return noPermission("READ permission on this partition");
    if (threadId && !(await this.member(threadId))) return streamNotAccessible();
    return undefined;
  }

  async requireRead(partitionHash: Buffer, threadId: string | null): Promise<void> {
    const refusal = await this.readRefusal(partitionHash, threadId);
    if (refusal) throw refusal;
  }
}
