import type { BinaryReader } from "@bufbuild/protobuf/wire";
import { protoMetadata as agentService } from "./gen/symphony/agent/v1/agent_service.js";
import { protoMetadata as agentModel } from "./gen/symphony/agent/v1/model.js";
import { protoMetadata as events } from "./gen/symphony/events/v1/events.js";
import { protoMetadata as keyManagerService } from "./gen/symphony/keymanager/v1/keymanager_service.js";
import { protoMetadata as objectStoreService } from "./gen/symphony/objectstore/v1/objectstore_service.js";
import { protoMetadata as podInternalService } from "./gen/symphony/pod/v1/pod_internal_service.js";
import { protoMetadata as podService } from "./gen/symphony/pod/v1/pod_service.js";

/** The generated encode/decode/JSON functions of one message type. */
export interface MessageCodec {
  decode(input: BinaryReader | Uint8Array): unknown;
  toJSON(message: unknown): unknown;
}

/** Codecs by fully qualified type name (".symphony.pod.v1.UserV2"), for generic callers such as the gateway. */
export const codecsByTypeName: ReadonlyMap<string, MessageCodec> = new Map(
  [agentService, agentModel, events, keyManagerService, objectStoreService, podInternalService, podService].flatMap((m) =>
    Object.entries(m.references as Record<string, MessageCodec>),
  ),
);
