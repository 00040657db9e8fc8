import { Event } from "@symphony/proto/events/v1/events";
import { describe, expect, it } from "vitest";
import { toV4Event, usersOf } from "./v4-events.js";

const base = { id: "e1", timestamp: 10, streamId: "s1", streamType: "ROOM", initiatorUserId: 7 };

describe("V4Events of the pod's events", () => {
  it("shows a form answer that could not be decrypted with a diagnostic and no values", () => {
    const e = Event.fromPartial({ ...base, type: "SYMPHONYELEMENTSACTION", elementsAction: { formMessageId: "m1", actionId: "a1" } });
    const v4 = toV4Event(e, new Map(), { form: { diagnostic: "Form answer could not be decrypted" } });
    expect(v4).toMatchObject({
      messageId: "a1",
      diagnostic: "Form answer could not be decrypted",
      payload: { symphonyElementsAction: { formMessageId: "m1", formId: "", formValues: {} } },
    });
  });

  it("still renders room events written before the pod carried every room property", () => {
    const e = Event.fromPartial({ ...base, type: "ROOMCREATED", roomCreated: { name: "old" } });
    const props = toV4Event(e, new Map())!.payload!.roomCreated!.roomProperties!;
    expect(props).toMatchObject({ name: "old", creatorUser: undefined, createdDate: undefined, public: false, keywords: [], external: false });
  });

  it("asks for the profiles of room creators and of the owners a join request went to", () => {
    const events = [
      Event.fromPartial({ ...base, type: "ROOMUPDATED", roomCreated: { name: "r", creatorUserId: 8 } }),
      Event.fromPartial({ ...base, type: "USERREQUESTEDTOJOINROOM", joinRequested: { ownerUserIds: [7, 9] } }),
    ];
    expect(usersOf(events).sort((a, b) => a - b)).toEqual([7, 8, 9]);
  });
});
