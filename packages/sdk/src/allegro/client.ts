import type { SymphonyBot } from "../bot.js";
import { DecryptionError, IntegrityError } from "../errors.js";
import { queryString } from "../http.js";
import { AllegroObject } from "./allegro-object.js";
import { ContentKeyCache, type ContentKeyCacheOptions } from "./content-keys.js";
import { CIPHER_SUITE, openPayload, payloadRotation, sealPayload, type PayloadBinding } from "./envelope.js";
import { FeedMessage, FeedSubscription, type FeedReadRequest, type FeedSubscriptionOptions, type Settler } from "./feeds.js";
import { hashToBase64, hashToUrlSafe, idHash, MODEL_VERSION, namedUserIdObject, parseHash, SHA256_HASH_TYPE, TYPES } from "@symphony/codec";
import type {
  AnyStoredObject,
  DeletedApplicationObject,
  DeletionType,
  FeedDocument,
  FeedObjectDocument,
  JsonObject,
  PageDocument,
  PartitionDocument,
  StoredApplicationObject,
  UserPermissions,
} from "./model.js";
import { allItems, fetchPage, type Page } from "./pages.js";

/** A partition or a feed: its ID object and the hash that names it. */
export interface NamedResource<D> {
  hash: string;
  id: JsonObject;
  document: D;
}

/** A partition given by hash (Base64) or as returned by upsertPartition. */
export type PartitionRef = string | { hash: string };

export interface NewObject<T> {
  partition: PartitionRef;
  sortKey: string;
  /** The stream whose content key encrypts the payload; required with a payload, never changes. */
  threadId?: string;
  /** Encrypted before it leaves: any JSON value. */
  payload?: T;
  /** Plaintext the server sees and may index: ids and dates only, never secrets. */
  header?: JsonObject;
  purgeDate?: Date;
}

export interface ObjectChange<T> {
  /** The new payload; the current one, re-encrypted, when left out. */
  payload?: T;
  /** The new header; the current one when left out. */
  header?: JsonObject;
  /** Moves the object within its partition. */
  sortKey?: string;
  purgeDate?: Date;
}

export interface PartitionQuery {
  sortKeyPrefix?: string;
  /** Inclusive lower bound; not with sortKeyPrefix. */
  sortKeyMin?: string;
  /** Inclusive upper bound; not with sortKeyPrefix. */
  sortKeyMax?: string;
  /** Ascending sort keys (default true). Data comes in scan order. */
  scanForwards?: boolean;
  /** Cursor: start after this sort key. */
  after?: string;
  /** Page size, 1..2000 (server default 100). */
  limit?: number;
}

export interface VersionQuery {
  scanForwards?: boolean;
  after?: string;
  limit?: number;
}

export interface FeedSpec {
  /** Whole partitions, or only the sort keys under a prefix. */
  partitions: (PartitionRef | { partition: PartitionRef; sortKeyPrefix: string })[];
  /** READ grants to other users. */
  permissions?: UserPermissions[];
  /** Milliseconds the feed may stay unread before the store removes it (60 s..5 days). */
  expiryTime?: number;
}

const path = (hash: string) => {
  const parsed = parseHash(hash);
  return parsed ? hashToUrlSafe(parsed) : encodeURIComponent(hash);
};
const hashOfRef = (ref: PartitionRef) => (typeof ref === "string" ? ref : ref.hash);

/**
 * An Allegro-style Object Store client that needs no agent: payloads are encrypted and
 * decrypted here with the thread's content key, which the key manager releases wrapped to the
 * bot's own RSA key. Objects are content-addressed (Symphony hash of their canonical JSON);
 * every write is a new version, updates are optimistic (a stale version is a ConflictError),
 * a logically deleted object answers GoneError.
 */
export class AllegroClient {
  readonly keys: ContentKeyCache;

  constructor(
    readonly bot: SymphonyBot,
    options: ContentKeyCacheOptions = {},
  ) {
    this.keys = new ContentKeyCache(bot, options);
  }

  // ---- partitions ----

  /** The ID object of one of the bot's partitions or feeds: {userId, name}. */
  async namedId(name: string): Promise<JsonObject> {
    return namedUserIdObject(await this.bot.userId(), name);
  }

  /** Creates the partition, or adds `permissions` to it. The bot's partitions are named by (bot, name). */
  async upsertPartition(name: string | JsonObject, permissions: UserPermissions[] = []): Promise<NamedResource<PartitionDocument>> {
    const id = typeof name === "string" ? await this.namedId(name) : name;
    const document = await this.bot.call<PartitionDocument>("POST", "/object/v1/partitions/upsert", { partitionId: id, userPermissions: permissions.map(grant) });
    return { hash: hashToBase64(idHash(id)), id, document };
  }

  async fetchPartition(partition: PartitionRef): Promise<PartitionDocument> {
    return this.bot.call("GET", `/object/v1/partitions/${path(hashOfRef(partition))}`);
  }

  /** The partition's grants, page by page. */
  partitionUsers(partition: PartitionRef, query: { limit?: number } = {}): AsyncGenerator<UserPermissions> {
    const base = `/object/v1/partitions/${path(hashOfRef(partition))}/users`;
    return allItems((after) => this.bot.call<PageDocument<UserPermissions>>("GET", `${base}${queryString({ limit: query.limit, after })}`), undefined, (u) => u);
  }

  // ---- writing objects ----

  /** Builds (and encrypts) a first version without storing it, e.g. for storeTransaction. */
  async prepare<T>(o: NewObject<T>): Promise<AllegroObject<T>> {
    const document: StoredApplicationObject = {
      _type: TYPES.storedApplicationObject,
      _version: MODEL_VERSION,
      hashType: SHA256_HASH_TYPE,
      partitionHash: hashOfRef(o.partition),
      sortKey: o.sortKey,
      owner: await this.bot.userId(),
      createdDate: new Date().toISOString(),
      purgeDate: o.purgeDate?.toISOString(),
      header: o.header,
      threadId: o.threadId,
    };
    return this.seal(document, o.payload);
  }

  /** Builds the next version of `existing`, which must be the current one when it is stored. */
  async prepareUpdate<T>(existing: AllegroObject<T>, change: ObjectChange<T>): Promise<AllegroObject<T>> {
    const current = existing.document;
    if (current._type !== TYPES.storedApplicationObject) throw new TypeError("A deleted object cannot be updated");
    const document: StoredApplicationObject = {
      _type: TYPES.storedApplicationObject,
      _version: MODEL_VERSION,
      hashType: SHA256_HASH_TYPE,
      partitionHash: current.partitionHash,
      sortKey: change.sortKey ?? current.sortKey,
      owner: await this.bot.userId(),
      createdDate: new Date().toISOString(),
      purgeDate: change.purgeDate?.toISOString() ?? current.purgeDate,
      baseHash: existing.baseHash,
      prevHash: existing.absoluteHash,
      prevSortKey: current.sortKey,
      header: "header" in change ? change.header : current.header,
      threadId: current.threadId,
    };
    const payload = "payload" in change ? change.payload : await existing.payload();
    return this.seal(document, payload);
  }

  /** Builds the deletion marker of `existing`: LOGICAL keeps the versions, PHYSICAL removes them all. */
  async prepareDelete(existing: AllegroObject, deletionType: DeletionType = "LOGICAL"): Promise<AllegroObject> {
    const document: DeletedApplicationObject = {
      _type: TYPES.deletedApplicationObject,
      _version: MODEL_VERSION,
      hashType: SHA256_HASH_TYPE,
      partitionHash: existing.partitionHash,
      sortKey: existing.sortKey,
      owner: await this.bot.userId(),
      createdDate: new Date().toISOString(),
      baseHash: existing.baseHash,
      prevHash: existing.absoluteHash,
      prevSortKey: existing.sortKey,
      deletionType,
    };
    return new AllegroObject(document, this);
  }

  /** Stores a prepared version (PUT /objects/{absoluteHash}); storing the same version twice is a no-op. */
  async put<T>(object: AllegroObject<T>): Promise<AllegroObject<T>> {
    await this.bot.call("PUT", `/object/v1/objects/${path(object.absoluteHash)}`, object.document);
    return object;
  }

  /** Stores up to 6 prepared versions all or nothing. */
  async storeTransaction(objects: AllegroObject[]): Promise<void> {
    await this.bot.call("POST", "/object/v1/objects/transaction", objects.map((o) => o.document));
  }

  /** Stores a new object; a taken sort key is a ConflictError. */
  async store<T>(o: NewObject<T>): Promise<AllegroObject<T>> {
    return this.put(await this.prepare(o));
  }

  /** Stores the next version; ConflictError when `existing` is no longer the current version. */
  async update<T>(existing: AllegroObject<T>, change: ObjectChange<T>): Promise<AllegroObject<T>> {
    return this.put(await this.prepareUpdate(existing, change));
  }

  /** Deletes; afterwards fetchCurrent answers GoneError (LOGICAL) or NotFoundError (PHYSICAL). */
  async delete(existing: AllegroObject, deletionType: DeletionType = "LOGICAL"): Promise<AllegroObject> {
    return this.put(await this.prepareDelete(existing, deletionType));
  }

  // ---- reading objects ----

  /** Exactly that version (deletion markers included); the answer is checked against the hash. */
  async fetchAbsolute<T = unknown>(absoluteHash: string): Promise<AllegroObject<T>> {
    const object = this.wrap<T>(await this.bot.call<AnyStoredObject>("GET", `/object/v1/objects/${path(absoluteHash)}`));
    if (!parseHash(absoluteHash)?.equals(parseHash(object.absoluteHash)!)) throw new IntegrityError(`The store answered another object than ${absoluteHash}`);
    return object;
  }

  /** The latest version of the object; GoneError when it was deleted. */
  async fetchCurrent<T = unknown>(baseHash: string): Promise<AllegroObject<T>> {
    return this.wrap(await this.bot.call("GET", `/object/v1/objects/${path(baseHash)}${queryString({ currentVersion: true })}`));
  }

  /** The current object at a sort key of a partition. */
  async fetchObject<T = unknown>(partition: PartitionRef, sortKey: string): Promise<AllegroObject<T>> {
    return this.wrap(await this.bot.call("GET", `/object/v1/partitions/${path(hashOfRef(partition))}/${encodeURIComponent(sortKey)}`));
  }

  /** One page of a partition's current objects. */
  page<T = unknown>(partition: PartitionRef, query: PartitionQuery = {}): Promise<Page<AllegroObject<T>>> {
    return fetchPage(this.partitionPages(partition, query), query.after, (d) => this.wrap<T>(d));
  }

  /** Every current object of a partition matching the query, following the cursors. */
  objects<T = unknown>(partition: PartitionRef, query: PartitionQuery & { maxItems?: number } = {}): AsyncGenerator<AllegroObject<T>> {
    return allItems(this.partitionPages(partition, query), query.after, (d) => this.wrap<T>(d), query.maxItems);
  }

  /** One page of an object's versions. */
  versionsPage<T = unknown>(baseHash: string, query: VersionQuery = {}): Promise<Page<AllegroObject<T>>> {
    return fetchPage(this.versionPages(baseHash, query), query.after, (d) => this.wrap<T>(d));
  }

  /** Every version of an object, deletion markers included. */
  versions<T = unknown>(baseHash: string, query: VersionQuery & { maxItems?: number } = {}): AsyncGenerator<AllegroObject<T>> {
    return allItems(this.versionPages(baseHash, query), query.after, (d) => this.wrap<T>(d), query.maxItems);
  }

  private partitionPages(partition: PartitionRef, q: PartitionQuery) {
    const base = `/object/v1/partitions/${path(hashOfRef(partition))}/page`;
    return (after: string | undefined) =>
      this.bot.call<PageDocument<AnyStoredObject>>(
        "GET",
        `${base}${queryString({ limit: q.limit, after, sortKeyPrefix: q.sortKeyPrefix, sortKeyMin: q.sortKeyMin, sortKeyMax: q.sortKeyMax, scanForwards: q.scanForwards })}`,
      );
  }

  private versionPages(baseHash: string, q: VersionQuery) {
    const base = `/object/v1/objects/${path(baseHash)}/versions`;
    return (after: string | undefined) => this.bot.call<PageDocument<AnyStoredObject>>("GET", `${base}${queryString({ limit: q.limit, after, scanForwards: q.scanForwards })}`);
  }

  // ---- feeds ----

  /** Creates the feed, or adds subscriptions and grants to it; it receives versions written from now on. */
  async upsertFeed(name: string | JsonObject, spec: FeedSpec): Promise<NamedResource<FeedDocument>> {
    const id = typeof name === "string" ? await this.namedId(name) : name;
    const partitionSelections = spec.partitions.map((p) =>
      typeof p === "object" && "partition" in p ? { partitionHash: hashOfRef(p.partition), sortKeyPrefix: p.sortKeyPrefix } : { partitionHash: hashOfRef(p) },
    );
    const document = await this.bot.call<FeedDocument>("POST", "/object/v1/feeds/upsert", {
      feedId: id,
      partitionSelections,
      userPermissions: (spec.permissions ?? []).map(grant),
      expiryTime: spec.expiryTime,
    });
    return { hash: hashToBase64(idHash(id)), id, document };
  }

  async deleteFeed(feed: PartitionRef): Promise<void> {
    await this.bot.call("DELETE", `/object/v1/feeds/${path(hashOfRef(feed))}`);
  }

  /** One feed read: acknowledges `delete`, applies `extend`, then long-polls for objects. */
  readFeed<T = unknown>(feed: PartitionRef, request: FeedReadRequest = {}): Promise<FeedMessage<T>[]> {
    const settler: Settler = async (receiptHandle, action) => {
      await this.readFeedWith(feed, "delete" in action ? { maxItems: 0, delete: [receiptHandle] } : { maxItems: 0, extend: [{ receiptHandle, ...action }] }, settler);
    };
    return this.readFeedWith(feed, request, settler);
  }

  /** `for await (const message of allegro.feed(hash, { signal }))`: see FeedSubscription. */
  feed<T = unknown>(feed: PartitionRef, options: FeedSubscriptionOptions = {}): FeedSubscription<T> {
    return new FeedSubscription<T>((request, settler) => this.readFeedWith(feed, request, settler), options);
  }

  private async readFeedWith<T>(feed: PartitionRef, request: FeedReadRequest, settler: Settler): Promise<FeedMessage<T>[]> {
    const { signal, delete: deletes, ...rest } = request;
    const body = { ...rest, delete: (deletes ?? []).map((receiptHandle) => ({ receiptHandle })) };
    const objects = (await this.bot.call<FeedObjectDocument[] | undefined>("POST", `/object/v1/feeds/${path(hashOfRef(feed))}/objects`, body, { signal })) ?? [];
    const reader = (r: FeedReadRequest) => this.readFeedWith(feed, r, settler);
    return objects.map((o) => new FeedMessage<T>(o.messageId, o.receiptHandle, this.wrap<T>(o.payload), settler, reader));
  }

  // ---- crypto ----

  /** Decrypts a stored object's payload with the key of its thread and rotation. */
  async decryptObject(document: StoredApplicationObject): Promise<unknown> {
    if (document.encryptedPayload === undefined) return undefined;
    if (!document.threadId) throw new DecryptionError("The object has a payload but no threadId");
    const blob = Buffer.from(document.encryptedPayload, "base64");
    const rotationId = payloadRotation(blob);
    if (document.rotationId !== rotationId) throw new DecryptionError("The object's rotationId does not match its payload");
    const key = await this.keys.rotation(document.threadId, rotationId);
    return JSON.parse(openPayload(key, binding(document), blob).toString("utf8")) as unknown;
  }

  private async seal<T>(document: StoredApplicationObject, payload: T | undefined): Promise<AllegroObject<T>> {
    if (payload !== undefined) {
      if (!document.threadId) throw new TypeError("An object with a payload needs the threadId whose key encrypts it");
      const key = await this.keys.currentKey(document.threadId);
      // Plain JSON: the payload is never hashed, so it need not be canonical (and may hold fractions).
      const blob = sealPayload(key, binding(document), Buffer.from(JSON.stringify(payload), "utf8"));
      document.encryptedPayload = blob.toString("base64");
      document.cipherSuiteId = CIPHER_SUITE;
      document.rotationId = key.rotationId;
    }
    return new AllegroObject<T>(document, this);
  }

  private wrap<T>(document: AnyStoredObject): AllegroObject<T> {
    return new AllegroObject<T>(document, this);
  }
}

const binding = (d: StoredApplicationObject): PayloadBinding => ({ threadId: d.threadId ?? "", partitionHash: d.partitionHash, sortKey: d.sortKey });

const grant = (p: UserPermissions) => ({ _type: TYPES.userPermissionsRequest, _version: MODEL_VERSION, userId: p.userId, permissions: p.permissions });
