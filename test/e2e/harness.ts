import { generateKeyPairSync, randomBytes } from "node:crypto";
import { inject } from "vitest";
import { SymphonyBot } from "@symphony/sdk";
import { checkResponse } from "./openapi.js";

export const mesh = () => inject("mesh");

export interface RawResponse {
  status: number;
  body: unknown;
  text: string;
}

/** fetch that checks every answer against Symphony's OpenAPI definitions. */
export const validatingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const text = await res.clone().text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  checkResponse(init?.method ?? "GET", String(input instanceof Request ? input.url : input), res.status, body);
  return res;
};

/** A plain HTTP call through the gateway, for asserting exact statuses and bodies. */
export async function raw(method: string, path: string, init: { headers?: Record<string, string>; body?: string | FormData; json?: unknown } = {}): Promise<RawResponse> {
  const headers = { ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  const res = await validatingFetch(new URL(path, mesh().gatewayUrl), { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, text };
}

export const authHeaders = (bot: SymphonyBot) => ({ sessionToken: bot.sessionToken, keyManagerToken: bot.keyManagerToken });

export function rsaKeyPair(bits = 2048) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

let admin: Promise<SymphonyBot> | undefined;
export function adminBot(): Promise<SymphonyBot> {
  admin ??= SymphonyBot.authenticate({ baseUrl: mesh().gatewayUrl, username: "admin", privateKeyPem: mesh().adminKeyPem, fetch: validatingFetch });
  return admin;
}

export interface TestBot {
  bot: SymphonyBot;
  userId: number;
  username: string;
  privateKeyPem: string;
}

/** Provisions a fresh service account through the admin API of the shared mesh and authenticates it. */
export async function newBot(prefix = "bot", roles = ["INDIVIDUAL"]): Promise<TestBot> {
  return provisionBot(await adminBot(), mesh().gatewayUrl, prefix, roles);
}

/** A fresh service account created by `admin` on the mesh at `gatewayUrl`, authenticated. */
export async function provisionBot(admin: SymphonyBot, gatewayUrl: string, prefix = "bot", roles = ["INDIVIDUAL"]): Promise<TestBot> {
  const username = `${prefix}-${randomBytes(5).toString("hex")}`;
  const { privateKeyPem, publicKeyPem } = rsaKeyPair();
  const created = await admin.call<{ userSystemInfo: { id: number } }>("POST", "/pod/v2/admin/user/create", {
    userAttributes: {
      accountType: "SYSTEM",
      userName: username,
      displayName: `Bot ${username}`,
      emailAddress: `${username}@example.com`,
      currentKey: { key: publicKeyPem, action: "SAVE" },
    },
    roles,
  });
  const bot = await SymphonyBot.authenticate({ baseUrl: gatewayUrl, username, privateKeyPem, fetch: validatingFetch });
  return { bot, userId: created.userSystemInfo.id, username, privateKeyPem };
}

/** A room whose later members read its history (viewHistory; Symphony's default is closed history). */
export async function newRoom(owner: SymphonyBot, members: TestBot[] = []): Promise<string> {
  const room = await owner.call<{ roomSystemInfo: { id: string } }>("POST", "/pod/v3/room/create", {
    name: `room ${randomBytes(4).toString("hex")}`,
    description: "e2e",
    viewHistory: true,
  });
  for (const m of members) await owner.call("POST", `/pod/v1/room/${room.roomSystemInfo.id}/membership/add`, { id: m.userId });
  return room.roomSystemInfo.id;
}
