import { invalidArgument } from "@symphony/kit";
import type { RoomAttributes, RoomDetail, StreamAttributes } from "@symphony/proto/pod/v1/streams";
import type { StreamRow } from "./store.js";

export function validRoomAttributes(attrs: RoomAttributes | undefined): RoomAttributes {
  if (!attrs) throw invalidArgument("Room attributes are required");
  const name = attrs.name.trim();
  if (!name) throw invalidArgument("Room name is required");
  if (name.length > 256) throw invalidArgument("Room name is longer than 256 characters");
  if (attrs.description.length > 10_000) throw invalidArgument("Room description is too long");
  if (attrs.keywords.length > 100) throw invalidArgument("Too many room keywords");
  return { ...attrs, name };
}

/** The stored attributes of a room, with a partial update applied (absent fields keep their value). */
export function mergeRoomAttributes(current: RoomAttributes, update: RoomAttributes): RoomAttributes {
  const merged: RoomAttributes = { ...current };
  for (const [k, v] of Object.entries(update) as [keyof RoomAttributes, unknown][]) {
    const empty = v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
    if (!empty) (merged as unknown as Record<string, unknown>)[k] = v;
  }
  return validRoomAttributes(merged);
}

export function toRoomDetail(row: StreamRow): RoomDetail {
  return {
    roomAttributes: row.attributes as unknown as RoomAttributes,
    roomSystemInfo: { id: row.id, creationDate: row.created_at, createdByUserId: row.created_by, active: row.active },
  };
}

export function toStreamAttributes(row: StreamRow & { last_message_date?: number | null; member_ids?: number[] }): StreamAttributes {
  const conversation = row.type !== "ROOM";
  return {
    id: row.id,
    crossPod: false,
    origin: "INTERNAL",
    active: row.active,
    lastMessageDate: row.last_message_date ?? undefined,
    streamType: { type: row.type },
    streamAttributes: conversation ? { members: row.member_ids ?? [] } : undefined,
    roomAttributes: conversation ? undefined : { name: row.name ?? "" },
  };
}
