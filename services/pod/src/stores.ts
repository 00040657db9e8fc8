import type { Kysely } from "kysely";
import { ConnectionStore } from "./connection-store.js";
import { DeadLetters } from "./dead-letters.js";
import { MembershipStore } from "./membership-store.js";
import { MessageStore } from "./message-store.js";
import { OutboxStore } from "./outbox-store.js";
import type { PodDatabase } from "./schema.js";
import { StreamStore } from "./stream-store.js";
import { UserStore } from "./user-store.js";

/** One store per aggregate, all over the same connection or transaction. */
export interface Stores {
  users: UserStore;
  streams: StreamStore;
  memberships: MembershipStore;
  messages: MessageStore;
  connections: ConnectionStore;
  outbox: OutboxStore;
  deadLetters: DeadLetters;
}

export interface PodStores extends Stores {
  /**
   * Runs `work` with stores bound to one transaction, so a change and the outbox rows announcing it
   * commit together or not at all. The stores it gets have no `inTransaction`: there is no nesting.
   */
  inTransaction<T>(work: (tx: Stores) => Promise<T>): Promise<T>;
}

const storesOn = (db: Kysely<PodDatabase>): Stores => ({
  users: new UserStore(db),
  streams: new StreamStore(db),
  memberships: new MembershipStore(db),
  messages: new MessageStore(db),
  connections: new ConnectionStore(db),
  outbox: new OutboxStore(db),
  deadLetters: new DeadLetters(db),
});

export function podStores(db: Kysely<PodDatabase>): PodStores {
  return { ...storesOn(db), inTransaction: (work) => db.transaction().execute((tx) => work(storesOn(tx))) };
}
