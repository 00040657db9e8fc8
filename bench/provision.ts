import { generateKeyPairSync, randomBytes } from "node:crypto";
import { SymphonyBot } from "@symphony/sdk";

export interface Sender {
  bot: SymphonyBot;
  streamId: string;
}

/** Creates `count` bots through the admin API, each with its own room. */
export async function provisionBots(admin: SymphonyBot, baseUrl: string, count: number): Promise<Sender[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const username = `bench-${i}-${randomBytes(3).toString("hex")}`;
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      await admin.call("POST", "/pod/v2/admin/user/create", {
        userAttributes: {
          accountType: "SYSTEM",
          userName: username,
          displayName: username,
          emailAddress: `${username}@bench.local`,
          currentKey: { key: publicKey.export({ type: "spki", format: "pem" }), action: "SAVE" },
        },
      });
      const bot = await SymphonyBot.authenticate({ baseUrl, username, privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() });
      const room = await bot.call<{ roomSystemInfo: { id: string } }>("POST", "/pod/v3/room/create", { name: `bench room ${i}` });
      return { bot, streamId: room.roomSystemInfo.id };
    }),
  );
}
