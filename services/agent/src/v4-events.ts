import type { V4Event, V4Payload, V4RoomProperties } from "@symphony/proto/agent/v1/events";
import type { FormActionContent, V4Message, V4Stream, V4User } from "@symphony/proto/agent/v1/model";
import type { Event, RoomCreated } from "@symphony/proto/events/v1/events";
import type { StoredMessage } from "@symphony/proto/pod/v1/messages";
import type { UserV2 } from "@symphony/proto/pod/v1/users";
import { toV4User } from "./v4-message.js";

// The V4Payload field of each event type the pod publishes.
const PAYLOAD_FIELD: Record<string, keyof V4Payload> = {
  MESSAGESENT: "messageSent",
  SHAREDPOST: "sharedPost",
  MESSAGESUPPRESSED: "messageSuppressed",
  CONNECTIONREQUESTED: "connectionRequested",
  CONNECTIONACCEPTED: "connectionAccepted",
  INSTANTMESSAGECREATED: "instantMessageCreated",
  ROOMCREATED: "roomCreated",
  ROOMUPDATED: "roomUpdated",
  ROOMDEACTIVATED: "roomDeactivated",
  ROOMREACTIVATED: "roomReactivated",
  USERJOINEDROOM: "userJoinedRoom",
  USERLEFTROOM: "userLeftRoom",
  ROOMMEMBERPROMOTEDTOOWNER: "roomMemberPromotedToOwner",
  ROOMMEMBERDEMOTEDFROMOWNER: "roomMemberDemotedFromOwner",
  SYMPHONYELEMENTSACTION: "symphonyElementsAction",
  USERREQUESTEDTOJOINROOM: "userRequestedToJoinRoom",
  GENERICSYSTEMEVENT: "genericSystemEvent",
};

/** What the agent decrypted of an event for its reader. */
export interface EventContent {
  /** MESSAGESENT and SHAREDPOST. */
  message?: V4Message;
  /** SYMPHONYELEMENTSACTION. */
  form?: FormActionContent | { diagnostic: string };
}

/** User ids whose profiles the V4Events of these events show. */
export function usersOf(events: Event[]): number[] {
  return [
    ...new Set(
      events.flatMap((e) => [
        e.initiatorUserId,
        ...(e.membershipChanged ? [e.membershipChanged.affectedUserId] : []),
        ...(e.connectionChanged ? [e.connectionChanged.toUserId] : []),
        ...(e.roomCreated?.creatorUserId ? [e.roomCreated.creatorUserId] : []),
        ...(e.joinRequested?.ownerUserIds ?? []),
      ]),
    ),
  ];
}

/** The stored message a MESSAGESENT or SHAREDPOST event carries. */
export function storedMessageOf(e: Event, sender: UserV2 | undefined): StoredMessage | undefined {
  const sent = e.messageSent ?? e.sharedPost;
  if (!sent) return undefined;
  return { messageId: sent.messageId, streamId: e.streamId, streamType: e.streamType, timestamp: e.timestamp, sender, ciphertext: sent.ciphertext };
}

function roomProperties(r: RoomCreated, user: (id: number) => V4User): V4RoomProperties {
  return {
    name: r.name,
    description: r.description,
    creatorUser: r.creatorUserId ? user(r.creatorUserId) : undefined,
    createdDate: r.createdDate || undefined,
    public: r.public,
    readOnly: r.readOnly,
    copyProtected: r.copyProtected,
    discoverable: r.discoverable,
    membersCanInvite: r.membersCanInvite,
    keywords: r.keywords,
    canViewHistory: r.viewHistory,
    // A single pod: no room is shared with another company.
    external: false,
    crossPod: false,
  };
}

type PayloadValue = V4Payload[keyof V4Payload];

function payloadOf(field: keyof V4Payload, e: Event, stream: V4Stream, user: (id: number) => V4User, content: EventContent): PayloadValue {
  switch (field) {
    case "messageSent":
      return { message: content.message };
    case "sharedPost":
      return { message: content.message, sharedMessage: content.message?.sharedMessage };
    case "messageSuppressed":
      return { messageId: e.messageSuppressed?.messageId ?? "", stream };
    case "connectionRequested":
      return { toUser: user(e.connectionChanged?.toUserId ?? 0) };
    case "connectionAccepted":
      return { fromUser: user(e.initiatorUserId) };
    case "symphonyElementsAction": {
      const form = content.form && "formId" in content.form ? content.form : undefined;
      return { stream, formMessageId: e.elementsAction?.formMessageId ?? "", formId: form?.formId ?? "", formValues: form?.formValues ?? {} };
    }
    case "userRequestedToJoinRoom":
      return { stream, affectedUsers: (e.joinRequested?.ownerUserIds ?? []).map(user) };
    case "genericSystemEvent": {
      const s = e.systemEvent;
      return { stream, eventTimestamp: s?.eventTimestamp ?? 0, sourceSystem: s?.sourceSystem ?? "", eventSubtype: s?.eventSubtype ?? "", parameters: s?.parameters ?? {} };
    }
    default: {
      const properties = e.roomCreated ? roomProperties(e.roomCreated, user) : undefined;
      return {
        stream,
        affectedUser: e.membershipChanged ? user(e.membershipChanged.affectedUserId) : undefined,
        roomProperties: e.type === "ROOMCREATED" ? properties : undefined,
        newRoomProperties: e.type === "ROOMUPDATED" ? properties : undefined,
      };
    }
  }
}

/** The public V4Event for a published event, with what the agent decrypted of it. */
export function toV4Event(e: Event, users: Map<number, UserV2>, content: EventContent = {}): V4Event | undefined {
  const field = PAYLOAD_FIELD[e.type];
  if (!field) return undefined;
  const user = (id: number) => toV4User(users.get(id), id);
  const stream = { streamId: e.streamId, streamType: e.streamType, roomName: e.roomCreated?.name ?? "" };
  return {
    id: e.id,
    messageId: (e.messageSent ?? e.sharedPost ?? e.messageSuppressed)?.messageId ?? e.elementsAction?.actionId ?? "",
    timestamp: e.timestamp,
    type: e.type,
    initiator: { user: user(e.initiatorUserId) },
    payload: { [field]: payloadOf(field, e, stream, user, content) },
    diagnostic: content.form && "diagnostic" in content.form ? content.form.diagnostic : "",
  };
}
