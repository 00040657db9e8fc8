import type { Event } from "@symphony/proto/events/v1/events";
import type { V4Event, V4Payload, V4StreamEvent } from "@symphony/proto/agent/v1/events";
import type { StoredMessage } from "@symphony/proto/pod/v1/messages";
import type { UserV2 } from "@symphony/proto/pod/v1/users";
import { toV4User } from "./v4-message.js";

// The V4Payload field of each event type the pod publishes.
const PAYLOAD_FIELD: Record<string, keyof V4Payload> = {
  MESSAGESENT: "messageSent",
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
};


/** User ids whose profiles the V4Events of these events show. */
export function usersOf(events: Event[]): number[] {
  return [
    ...new Set(
      events.flatMap((e) => [e.initiatorUserId, ...(e.membershipChanged ? [e.membershipChanged.affectedUserId] : []), ...(e.connectionChanged ? [e.connectionChanged.toUserId] : [])]),
    ),
  ];
}

export function storedMessageOf(e: Event, sender: UserV2 | undefined): StoredMessage | undefined {
  if (!e.messageSent) return undefined;
  return { messageId: e.messageSent.messageId, streamId: e.streamId, streamType: e.streamType, timestamp: e.timestamp, sender, ciphertext: e.messageSent.ciphertext };
}

/** The public V4Event for a published event; `message` is the decrypted MESSAGESENT content. */
export function toV4Event(e: Event, users: Map<number, UserV2>, message?: V4Payload["messageSent"]): V4Event | undefined {
  const field = PAYLOAD_FIELD[e.type];
  if (!field) return undefined;
  const stream = { streamId: e.streamId, streamType: e.streamType, roomName: e.roomCreated?.name ?? "" };
  const streamEvent: V4StreamEvent = {
    stream,
    affectedUser: e.membershipChanged ? toV4User(users.get(e.membershipChanged.affectedUserId), e.membershipChanged.affectedUserId) : undefined,
    roomProperties: e.type === "ROOMCREATED" && e.roomCreated ? { name: e.roomCreated.name, description: "" } : undefined,
    newRoomProperties: e.type === "ROOMUPDATED" && e.roomCreated ? { name: e.roomCreated.name, description: "" } : undefined,
  };
  const user = (id: number) => toV4User(users.get(id), id);
  const payload =
    field === "messageSent"
      ? message
      : field === "messageSuppressed"
        ? { messageId: e.messageSuppressed?.messageId ?? "", stream }
        : field === "connectionRequested"
          ? { toUser: user(e.connectionChanged?.toUserId ?? 0) }
          : field === "connectionAccepted"
            ? { fromUser: user(e.initiatorUserId) }
            : streamEvent;
  return {
    id: e.id,
    messageId: e.messageSent?.messageId ?? e.messageSuppressed?.messageId ?? "",
    timestamp: e.timestamp,
    type: e.type,
    initiator: { user: toV4User(users.get(e.initiatorUserId), e.initiatorUserId) },
    payload: { [field]: payload },
  };
}
