import { absoluteHash, hashToBase64 } from "@symphony/codec";
import type { AnyStoredObject, DeletionType, JsonObject, StoredApplicationObject } from "./model.js";

export interface PayloadOpener {
  decryptObject(document: StoredApplicationObject): Promise<unknown>;
}

/**
 * One version of an object as the store holds it, named by its hash. The payload stays
 * encrypted until `payload()` asks the key manager for the thread's key: a reader with a READ
 * grant on the partition but no membership of the thread sees the header, never the payload.
 */
export class AllegroObject<T = unknown> {
  /** The hash of this version (standard Base64), computed here from the document. */
  readonly absoluteHash: string;
  private opened: Promise<T | undefined> | undefined;

  constructor(
    readonly document: AnyStoredObject,
    private readonly opener: PayloadOpener,
  ) {
    this.absoluteHash = hashToBase64(absoluteHash(document as unknown as JsonObject));
  }

  /** The hash of the first version, which names the object across its versions. */
  get baseHash(): string {
    return this.document.baseHash ?? this.absoluteHash;
  }

  get partitionHash(): string {
    return this.document.partitionHash;
  }

  get sortKey(): string {
    return this.document.sortKey;
  }

  /** Who wrote this version. */
  get owner(): number {
    return this.document.owner;
  }

  get createdDate(): string | undefined {
    return this.document.createdDate;
  }

  /** LOGICAL or PHYSICAL when this version is a deletion marker. */
  get deletionType(): DeletionType | undefined {
    return this.document._type === "com.symphony.s2.model.object.DeletedApplicationObject" ? this.document.deletionType : undefined;
  }

  get header(): JsonObject | undefined {
    return this.document._type === "com.symphony.s2.model.object.StoredApplicationObject" ? this.document.header : undefined;
  }

  get threadId(): string | undefined {
    return this.document._type === "com.symphony.s2.model.object.StoredApplicationObject" ? this.document.threadId : undefined;
  }

  /**
   * The decrypted payload (undefined when the version has none). Throws PermissionDeniedError
   * when the key manager refuses the thread's key, DecryptionError when the ciphertext was
   * altered or moved.
   */
  payload(): Promise<T | undefined> {
    const doc = this.document;
    if (doc._type !== "com.symphony.s2.model.object.StoredApplicationObject") return Promise.resolve(undefined);
    // A refusal may not last (a member added later, a network failure): only success is kept.
    this.opened ??= this.opener.decryptObject(doc).then(
      (v) => v as T | undefined,
      (err: unknown) => {
        this.opened = undefined;
        throw err;
      },
    );
    return this.opened;
  }
}
