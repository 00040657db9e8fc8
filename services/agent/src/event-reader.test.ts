import { randomBytes } from "node:crypto";
import { credentials, Metadata, Server, ServerCredentials, status, type ServiceError } from "@grpc/grpc-js";
import { createLogger, newSymphonyId } from "@symphony/kit";
import type { Event } from "@symphony/proto/events/v1/events";
import { PodServiceClient, PodServiceService, type GetMessageRequest, type GetMessageResponse } from "@symphony/proto/pod/v1/pod_service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContentKeyCache } from "./content-keys.js";
import { encryptMessage, type EnvelopeKey } from "./envelope.js";
import { readForFeed, type EventReaderDeps } from "./event-reader.js";
import type { ActingBot } from "./principal.js";

// The pod answers GetMessage over real gRPC; the key cache answers as the key manager would.
const key: EnvelopeKey = { rotationId: 3, key: randomBytes(32) };
const streamId = newSymphonyId();
const stored = new Map<string, Buffer>();
const refused = new Set<string>();
const caller: ActingBot = { principal: { userId: 7, username: "bot", jti: "j", exp: 0, issuedAtMs: 0 }, sessionToken: "s", kmToken: "k", traceId: "t" };
const grpcError = (code: status): ServiceError => Object.assign(new Error(status[code]), { code, details: status[code]!, metadata: new Metadata() });

const keys = {
  rotation: async (_userId: number, sid: string) => {
    if (refused.has(sid)) throw grpcError(status.PERMISSION_DENIED);
    if (sid === "unreachable") throw grpcError(status.UNAVAILABLE);
    return key;
  },
} as unknown as ContentKeyCache;

let server: Server;
let deps: EventReaderDeps;

beforeAll(async () => {
  server = new Server();
  server.addService(PodServiceService, {
    getMessage: (call: { request: GetMessageRequest }, done: (err: ServiceError | null, res?: GetMessageResponse) => void) => {
      const ciphertext = stored.get(call.request.messageId);
      if (!ciphertext) return done(grpcError(status.NOT_FOUND));
      done(null, { message: { messageId: call.request.messageId, streamId, streamType: "ROOM", timestamp: 1, ciphertext } });
    },
  } as never);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  deps = { keys, pod: new PodServiceClient(`127.0.0.1:${port}`, credentials.createInsecure()), logger: createLogger("test", "silent") };
});

afterAll(() => {
  deps.pod.close();
  server.forceShutdown();
});

const sent = (sid: string, messageId: string, ciphertext: Uint8Array): Event => ({
  id: randomBytes(6).toString("hex"),
  type: "MESSAGESENT",
  timestamp: 1,
  streamId: sid,
  streamType: "ROOM",
  initiatorUserId: 9,
  messageSent: { messageId, ciphertext: Buffer.from(ciphertext) },
});
const content = { presentationMl: '<div data-format="PresentationML" data-version="2.0">hello</div>', entityJson: "{}" };

describe("datafeed event reader", () => {
  it("decrypts a message event that carries its ciphertext", async () => {
    const id = newSymphonyId();
    const out = await readForFeed(deps, caller, "f", sent(streamId, id, encryptMessage(key, streamId, id, content)), undefined);
    expect(out.skipped).toBe(false);
    expect(out.content?.message?.message).toContain("hello");
  });

  it("fetches the ciphertext of a message event published by reference", async () => {
    const id = newSymphonyId();
    stored.set(id, encryptMessage(key, streamId, id, content));
    const out = await readForFeed(deps, caller, "f", sent(streamId, id, new Uint8Array(0)), undefined);
    expect(out.content?.message?.message).toContain("hello");
  });

  it("skips an event whose key the key manager refuses (a removed member), or whose message the pod no longer shows", async () => {
    const gone = newSymphonyId();
    refused.add(gone);
    const id = newSymphonyId();
    expect(await readForFeed(deps, caller, "f", sent(gone, id, encryptMessage(key, gone, id, content)), undefined)).toEqual({ skipped: true });
    expect(await readForFeed(deps, caller, "f", sent(streamId, newSymphonyId(), new Uint8Array(0)), undefined)).toEqual({ skipped: true });
  });

  it("shows a corrupt envelope as a diagnostic, not a failure", async () => {
    const out = await readForFeed(deps, caller, "f", sent(streamId, newSymphonyId(), randomBytes(40)), undefined);
    expect(out.skipped).toBe(false);
    expect(out.content?.message?.diagnostic).toMatch(/could not be decrypted|Unknown message envelope/);
  });

  it("fails the read on a transient error, so the event is delivered on the retry", async () => {
    const id = newSymphonyId();
    await expect(readForFeed(deps, caller, "f", sent("unreachable", id, encryptMessage(key, streamId, id, content)), undefined)).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });
});
