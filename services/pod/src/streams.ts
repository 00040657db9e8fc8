import { invalidArgument } from "@symphony/kit";
import type { AdminStreamFilter, AdminStreamInfo, MemberDetail, RoomAttributes, StreamAttributes, StreamType } from "@symphony/proto/pod/v1/streams";
import type { MemberRow, StreamRow, UserRow } from "./schema.js";
import type { AdminStreamQuery, AdminStreamRow } from "./stream-store.js";

const STREAM_TYPES = new Set(["IM", "MIM", "ROOM", "POST"]);

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

/** A member as an administrator's member list shows it. */
export function toAdminStreamMember(m: MemberRow & { user: UserRow }, stream: StreamRow): MemberDetail {
  return {
    user: {
      userId: m.user.id,
      email: m.user.email,
      firstName: m.user.first_name,
      lastName: m.user.last_name,
      displayName: m.user.display_name,
      company: m.user.attributes.companyName ?? "",
      isExternal: false,
    },
    isOwner: m.owner,
    isCreator: m.user.id === stream.created_by,
    joinDate: m.joined_at,
  };
}
