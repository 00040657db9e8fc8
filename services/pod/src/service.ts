import type { Logger, UnaryHandlers } from "@symphony/kit";
import type { DeadLetterServiceServer } from "@symphony/proto/pod/v1/dead_letter_service";
import type { PodInternalServiceServer } from "@symphony/proto/pod/v1/pod_internal_service";
import type { PodServiceServer } from "@symphony/proto/pod/v1/pod_service";
import { authHandlers } from "./auth-handlers.js";
import { connectionHandlers } from "./connection-handlers.js";
import { deadLetterHandlers } from "./dead-letter-handlers.js";
import { podContext, type PodDeps } from "./context.js";
import { imHandlers } from "./im-handlers.js";
import { internalHandlers } from "./internal-handlers.js";
import { messageHandlers } from "./message-handlers.js";
import { roomHandlers } from "./room-handlers.js";
import { roomMembershipHandlers } from "./room-membership-handlers.js";
import { streamHandlers } from "./stream-handlers.js";
import { systemEventHandlers } from "./system-event-handlers.js";
import { userAdminHandlers } from "./user-admin-handlers.js";
import { userHandlers } from "./user-handlers.js";

/**
 * The pod's RPCs, one file per area; each file's handler type lists its RPCs. From a REST path, find
 * the RPC that names it (`google.api.http` in proto/symphony/pod/v1/pod_service.proto), then its area:
 *   auth-handlers             Authenticate, AuthenticateCertificate, Logout, GetSessionInfo
 *   user-handlers             FindUsers, FindUser, SearchUsers, GetUsers: the user directory
 *   user-admin-handlers       /pod/.../admin/user/... and /admin/system/roles/list
 *   room-handlers             CreateRoom, GetRoomInfo, UpdateRoom, SetRoomActive, SearchRooms
 *   room-membership-handlers  /pod/vN/room/{id}/membership/...
 *   im-handlers               CreateIm, AdminCreateIm
 *   stream-handlers           /pod/.../streams/..., /admin/stream(s)/..., /admin/user/{uid}/streams/list
 *   connection-handlers       /pod/v1/connection/...
 *   message-handlers          the agent's message RPCs, SubmitElementsAction and SuppressMessage
 *   system-event-handlers     PublishSystemEvent
 *   internal-handlers         PodInternalService (no REST path)
 *   dead-letter-handlers      DeadLetterService, for operators (no REST path)
 */
export function podService(deps: PodDeps): UnaryHandlers<PodServiceServer> {
  const c = podContext(deps);
  return {
    ...authHandlers(c),
    ...userHandlers(c),
    ...userAdminHandlers(c),
    ...roomHandlers(c),
    ...roomMembershipHandlers(c),
    ...imHandlers(c),
    ...streamHandlers(c),
    ...connectionHandlers(c),
    ...messageHandlers(c),
    ...systemEventHandlers(c),
  };
}

export function podInternalService(deps: PodDeps): UnaryHandlers<PodInternalServiceServer> {
  return internalHandlers(podContext(deps));
}

export function deadLetterService(deps: PodDeps, logger: Logger): UnaryHandlers<DeadLetterServiceServer> {
  return deadLetterHandlers(podContext(deps), logger);
}
