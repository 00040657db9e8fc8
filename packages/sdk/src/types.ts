// Shapes of the public REST API the SDK reads and writes (pod and agent specs), trimmed to the
// fields bots use; the server may send more.

export interface V4User {
  userId: number;
  firstName?: string;
  lastName?: string;
  displayName?: string;
  email?: string;
  username?: string;
}

export interface V4Stream {
  streamId: string;
  streamType?: "IM" | "MIM" | "ROOM" | "POST";
  roomName?: string;
  members?: V4User[];
  external?: boolean;
  crossPod?: boolean;
}

export interface V4Message {
  messageId: string;
  timestamp: number;
  message: string;
  data?: string;
  user: V4User;
  stream: V4Stream;
  originalFormat?: string;
  diagnostic?: string;
}

export type V4EventType =
  | "MESSAGESENT"
  | "SHAREDPOST"
  | "INSTANTMESSAGECREATED"
  | "ROOMCREATED"
  | "ROOMUPDATED"
  | "ROOMDEACTIVATED"
  | "ROOMREACTIVATED"
  | "USERJOINEDROOM"
  | "USERLEFTROOM"
  | "ROOMMEMBERPROMOTEDTOOWNER"
  | "ROOMMEMBERDEMOTEDFROMOWNER"
  | "CONNECTIONREQUESTED"
  | "CONNECTIONACCEPTED"
  | "MESSAGESUPPRESSED"
  | "SYMPHONYELEMENTSACTION"
  | "USERREQUESTEDTOJOINROOM"
  | "GENERICSYSTEMEVENT";

/** One datafeed event; `payload` has exactly one key, the camelCase of `type` (e.g. messageSent). */
export interface V4Event {
  id: string;
  messageId?: string;
  timestamp: number;
  type: V4EventType | (string & {});
  initiator?: { user?: V4User };
  payload: {
    messageSent?: { message: V4Message };
    sharedPost?: { message: V4Message; sharedMessage: V4Message };
    instantMessageCreated?: { stream: V4Stream };
    roomCreated?: { stream: V4Stream; roomProperties?: Record<string, unknown> };
    roomUpdated?: { stream: V4Stream; newRoomProperties?: Record<string, unknown> };
    userJoinedRoom?: { stream: V4Stream; affectedUser: V4User };
    userLeftRoom?: { stream: V4Stream; affectedUser: V4User };
    messageSuppressed?: { messageId: string; stream: V4Stream };
    [type: string]: unknown;
  };
}

export interface V5Datafeed {
  id: string;
  createdAt?: number;
  type?: string;
}

export interface UserV2 {
  id: number;
  username?: string;
  displayName?: string;
  emailAddress?: string;
  accountType?: "NORMAL" | "SYSTEM" | "SDL";
  roles?: string[];
}

export interface V3RoomAttributes {
  name?: string;
  description?: string;
  keywords?: { key: string; value: string }[];
  membersCanInvite?: boolean;
  discoverable?: boolean;
  public?: boolean;
  readOnly?: boolean;
  copyProtected?: boolean;
  crossPod?: boolean;
  viewHistory?: boolean;
  multiLateralRoom?: boolean;
  pinnedMessageId?: string;
}

export interface V3RoomDetail {
  roomAttributes: V3RoomAttributes;
  roomSystemInfo: { id: string; creationDate?: number; createdByUserId?: number; active?: boolean };
}

export interface MemberInfo {
  id: number;
  owner?: boolean;
  joinDate?: number;
}
