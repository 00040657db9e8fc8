import { invalidArgument } from "@symphony/kit";
import type { RoomCreated } from "@symphony/proto/events/v1/events";
import type { AdminStreamFilter, AdminStreamInfo, RoomAttributes, RoomDetail, StreamAttributes, StreamType } from "@symphony/proto/pod/v1/streams";
import type { AdminStreamQuery, AdminStreamRow, StreamRow } from "./store.js";

const STREAM_TYPES = new Set(["IM", "MIM", "ROOM", "POST"]);

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

export function streamTypes(types: StreamType[] | undefined): string[] {
  const names = (types ?? []).map((t) => t.type);
  if (names.some((t) => !STREAM_TYPES.has(t))) throw invalidArgument("streamTypes must be IM, MIM, ROOM or POST");
  return names;
}

function oneOf(value: string, allowed: string[], field: string): string {
  if (value && !allowed.includes(value)) throw invalidArgument(`${field} must be ${allowed.join(" or ")}`);
  return value;
}

function date(value: number | undefined, field: string): number | undefined {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) throw invalidArgument(`${field} must be a timestamp in milliseconds`);
  return value;
}

/** The store query for the public API's admin stream filter; undefined when no stream of this pod can match. */
export function adminStreamQuery(f: AdminStreamFilter | undefined): Omit<AdminStreamQuery, "skip" | "limit"> | undefined {
  const types = streamTypes(f?.streamTypes);
  const scope = oneOf(f?.scope ?? "", ["INTERNAL", "EXTERNAL"], "scope");
  const origin = oneOf(f?.origin ?? "", ["INTERNAL", "EXTERNAL"], "origin");
  const status = oneOf(f?.status ?? "", ["ACTIVE", "INACTIVE"], "status");
  const privacy = oneOf(f?.privacy ?? "", ["PUBLIC", "PRIVATE"], "privacy");
  const joinedFrom = date(f?.startDate, "startDate");
  const joinedTo = date(f?.endDate, "endDate");
  if (joinedFrom !== undefined && joinedTo !== undefined && joinedFrom > joinedTo) throw invalidArgument("startDate must not be after endDate");
  // A single pod has no streams from other companies.
  if (scope === "EXTERNAL" || origin === "EXTERNAL") return undefined;
  return {
    types,
    active: status ? status === "ACTIVE" : undefined,
    public: privacy ? privacy === "PUBLIC" : undefined,
    joinedFrom,
    joinedTo,
  };
}

export function toAdminStreamInfo(row: AdminStreamRow): AdminStreamInfo {
  const room = row.type === "ROOM";
  const attrs = row.attributes as unknown as RoomAttributes;
  return {
    id: row.id,
    isExternal: false,
    isActive: row.active,
    isPublic: room ? attrs.public === true : undefined,
    type: row.type,
    crossPod: false,
    origin: "INTERNAL",
    attributes: {
      roomName: room ? (row.name ?? "") : "",
      roomDescription: room ? (attrs.description ?? "") : "",
      members: row.member_ids ?? [],
      createdByUserId: row.created_by,
      createdDate: row.created_at,
      lastModifiedDate: row.last_joined_at ?? row.created_at,
      membersCount: row.members_count,
      lastMessageDate: row.last_message_date ?? undefined,
    },
  };
}
