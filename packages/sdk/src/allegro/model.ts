import type { CanonicalValue } from "@symphony/codec";

// The Object Store's JSON, as Allegro writes it (MODELS object.json). Hashes are standard Base64.

export type JsonObject = { [key: string]: CanonicalValue | undefined };

export type Permission = "READ" | "WRITE";

/** Fields every version of an object has, deleted or not. */
export interface PositionalFields {
  _version: "1.0";
  hashType: 1;
  partitionHash: string;
  sortKey: string;
  /** The writer of this version. */
  owner: number;
  createdDate?: string;
  purgeDate?: string;
  /** absoluteHash of the first version; absent on the first version itself. */
  baseHash?: string;
  /** absoluteHash of the version this one replaces (the optimistic lock). */
  prevHash?: string;
  prevSortKey?: string;
}

export interface StoredApplicationObject extends PositionalFields {
  _type: "com.symphony.s2.model.object.StoredApplicationObject";
  /** Plaintext the server may see (ids, dates); never secrets. */
  header?: JsonObject;
  encryptedPayload?: string;
  cipherSuiteId?: "RSA2048_AES256";
  threadId?: string;
  rotationId?: number;
}

export interface DeletedApplicationObject extends PositionalFields {
  _type: "com.symphony.s2.model.object.DeletedApplicationObject";
  deletionType: DeletionType;
}

export type DeletionType = "LOGICAL" | "PHYSICAL";

export type AnyStoredObject = StoredApplicationObject | DeletedApplicationObject;

export interface UserPermissions {
  userId: number;
  permissions: Permission[];
}

export interface PartitionDocument {
  _type: string;
  _version: string;
  hashType: number;
  id: JsonObject;
}

export interface FeedDocument extends PartitionDocument {
  queueName?: string;
}

export interface PageDocument<T> {
  pagination?: { cursors?: { before?: string; after?: string } };
  data?: T[];
}

export interface FeedObjectDocument {
  messageId: string;
  receiptHandle: string;
  payload: AnyStoredObject;
}
