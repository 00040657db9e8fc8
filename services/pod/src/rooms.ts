import { invalidArgument } from "@symphony/kit";
import type { RoomCreated } from "@symphony/proto/events/v1/events";
import type { RoomAttributes, RoomDetail } from "@symphony/proto/pod/v1/streams";
import type { StreamRow } from "./schema.js";

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

/** What ROOMCREATED and ROOMUPDATED tell of a room. */
export function roomProperties(attrs: RoomAttributes, createdBy: number, createdAt: number): RoomCreated {
  return {
    name: attrs.name,
    description: attrs.description ?? "",
    creatorUserId: createdBy,
    createdDate: createdAt,
    public: attrs.public === true,
    readOnly: attrs.readOnly === true,
    copyProtected: attrs.copyProtected === true,
    discoverable: attrs.discoverable === true,
    membersCanInvite: attrs.membersCanInvite === true,
    keywords: (attrs.keywords ?? []).map((k) => ({ key: k.key, value: k.value })),
    viewHistory: attrs.viewHistory === true,
  };
}
