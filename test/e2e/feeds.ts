import { expect } from "vitest";
import { authHeaders, raw, type TestBot } from "./harness.js";

interface V4Message {
  message: string;
  messageId: string;
  data?: string;
  stream?: { streamId: string };
  sharedMessage?: V4Message;
}

export interface V4Event {
  id: string;
  type: string;
  messageId?: string;
  diagnostic?: string;
  initiator: { user: { userId: number; username?: string } };
  payload: Record<
    string,
    {
      message?: V4Message;
      sharedMessage?: V4Message;
      messageId?: string;
      stream?: { streamId: string; streamType?: string; roomName?: string };
      affectedUser?: { userId: number };
      affectedUsers?: { userId: number }[];
      toUser?: { userId: number };
      fromUser?: { userId: number };
      roomProperties?: Record<string, unknown>;
      newRoomProperties?: Record<string, unknown>;
      formMessageId?: string;
      formId?: string;
      formValues?: Record<string, unknown>;
      eventTimestamp?: number;
      sourceSystem?: string;
      eventSubtype?: string;
      parameters?: Record<string, unknown>;
    }
  >;
}

export async function createFeed(bot: TestBot, body: object = {}): Promise<string> {
  const res = await raw("POST", "/agent/v5/datafeeds", { headers: authHeaders(bot.bot), json: body });
  expect(res.status).toBe(201);
  return (res.body as { id: string }).id;
}

export async function read(bot: TestBot, feedId: string, ackId = ""): Promise<{ events: V4Event[]; ackId: string }> {
  const res = await raw("POST", `/agent/v5/datafeeds/${feedId}/read`, { headers: authHeaders(bot.bot), json: { ackId } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const body = res.body as { events?: V4Event[]; ackId?: string };
  return { events: body.events ?? [], ackId: body.ackId ?? "" };
}

/**
 * Reads (acknowledging as it goes) until `count` events arrived, or `done` says so, or the time is
 * up; the last read acknowledges, and what it brings is kept too.
 */
export async function readUntil(bot: TestBot, feedId: string, count: number, timeoutMs = 15_000, done?: (events: V4Event[]) => boolean): Promise<V4Event[]> {
  const events: V4Event[] = [];
  let ackId = "";
  const until = Date.now() + timeoutMs;
  while (!(done ? done(events) : events.length >= count) && Date.now() < until) {
    const batch = await read(bot, feedId, ackId);
    events.push(...batch.events);
    ackId = batch.ackId;
  }
  if (ackId) events.push(...(await read(bot, feedId, ackId)).events);
  return events;
}
