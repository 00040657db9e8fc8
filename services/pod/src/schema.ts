import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable } from "kysely";

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string;
  display_name: string;
  first_name: string;
  last_name: string;
  account_type: string;
  status: Generated<string>;
  roles: string[];
  attributes: JSONColumnType<Record<string, string>>;
  current_key: string | null;
  previous_key: string | null;
  previous_key_expires_at: number | null;
  current_key_expires_at: Generated<number | null>;
  created_at: number;
  created_by: number | null;
  updated_at: number;
}

export interface StreamsTable {
  id: string;
  type: string;
  name: string | null;
  attributes: JSONColumnType<Record<string, unknown>>;
  active: Generated<boolean>;
  im_key: Generated<string | null>;
  created_by: number;
  created_at: number;
}

interface MembershipsTable {
  stream_id: string;
  user_id: number;
  owner: Generated<boolean>;
  joined_at: number;
}

interface MessagesTable {
  id: string;
  stream_id: string;
  sender_id: number;
  created_at: number;
  ciphertext: Buffer;
  suppressed_at: Generated<number | null>;
}

interface OutboxTable {
  seq: Generated<number>;
  event_id: string;
  stream_id: string | null;
  payload: Buffer;
  /** Who receives the event, fixed when it is written. */
  recipients: Generated<number[]>;
  created_at: number;
  published_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** traceparent/tracestate of the writing request; null when it had none. */
  trace_context: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
  /** Failed publications so far; the row waits until next_attempt_at before the next. */
  attempts: Generated<number>;
  next_attempt_at: number | null;
}

/** Outbox rows the relay gave up on, with why, until an operator replays them. */
export interface OutboxDeadLettersTable {
  id: Generated<number>;
  event_id: string;
  stream_id: string | null;
  payload: Buffer;
  recipients: number[];
  trace_context: ColumnType<Record<string, string> | null, string | null, never>;
  created_at: number;
  attempts: number;
  reason: string;
  dead_at: number;
}

export interface ConnectionsTable {
  requester_id: number;
  target_id: number;
  status: "PENDING" | "ACCEPTED" | "REJECTED";
  first_requested_at: number;
  updated_at: number;
  request_counter: Generated<number>;
}

export interface PodDatabase {
  connections: ConnectionsTable;
  users: UsersTable;
  streams: StreamsTable;
  memberships: MembershipsTable;
  messages: MessagesTable;
  outbox: OutboxTable;
  outbox_dead_letters: OutboxDeadLettersTable;
}

export type UserRow = Selectable<UsersTable>;
export type StreamRow = Selectable<StreamsTable>;
export type MemberRow = Selectable<MembershipsTable>;
export type ConnectionRow = Selectable<ConnectionsTable>;
/** An event as written to the outbox, before its recipients are fixed. */
export type OutboxInsert = Insertable<OutboxTable>;
