import { CallGuard, createLogger } from "@symphony/kit";
import { PodInternalServiceService } from "@symphony/proto/pod/v1/pod_internal_service";
import { PodServiceService } from "@symphony/proto/pod/v1/pod_service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authHandlers } from "./auth-handlers.js";
import { connectionHandlers } from "./connection-handlers.js";
import { currentRoles } from "./context.js";
import { imHandlers } from "./im-handlers.js";
import { messageHandlers } from "./message-handlers.js";
import { roomHandlers } from "./room-handlers.js";
import { roomMembershipHandlers } from "./room-membership-handlers.js";
import { podInternalService, podService } from "./service.js";
import { streamHandlers } from "./stream-handlers.js";
import { systemEventHandlers } from "./system-event-handlers.js";
import { podFixture, type PodFixture } from "./test-fixture.js";
import { userAdminHandlers } from "./user-admin-handlers.js";
import { userHandlers } from "./user-handlers.js";

let f: PodFixture;

beforeAll(async () => {
  f = await podFixture("test_pod_service");
});
afterAll(() => f.close());

describe("pod service", () => {
  it("serves every RPC from exactly one area file", () => {
    const areas = [authHandlers, userHandlers, userAdminHandlers, roomHandlers, roomMembershipHandlers, imHandlers, streamHandlers, connectionHandlers, messageHandlers, systemEventHandlers];
    const names = areas.flatMap((area) => Object.keys(area(f.c)));
    expect(names.length).toBe(new Set(names).size);
    expect(names.sort()).toEqual(Object.keys(PodServiceService).sort());
  });

  it("has a declared call policy, and the authenticators it needs, for every RPC", () => {
    const guard = new CallGuard({
      logger: createLogger("test", "silent"),
      trustDomain: "test.local",
      authenticators: { session: (token) => f.verifier.verify(token), roles: currentRoles(f.stores.users) },
    });
    expect(() => guard.serve(PodServiceService, podService(f.deps))).not.toThrow();
    expect(() => guard.serve(PodInternalServiceService, podInternalService(f.deps))).not.toThrow();
  });
});
