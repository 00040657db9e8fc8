// The smallest bot: plain JavaScript on plain node, with @symphony/sdk installed from npm.
// SYMPHONY_URL, BOT_USERNAME and BOT_KEY (a PEM file) say where and who; it opens a room,
// sends one message, reads it back and prints what it read as JSON.
import { readFileSync } from "node:fs";
import { SymphonyBot } from "@symphony/sdk";

const bot = await SymphonyBot.authenticate({
  baseUrl: process.env.SYMPHONY_URL,
  username: process.env.BOT_USERNAME,
  privateKeyPem: readFileSync(process.env.BOT_KEY, "utf8"),
});
const room = await bot.createRoom({ name: "hello from plain node", description: "echo-bot example" });
await bot.sendMessage(room.roomSystemInfo.id, "<messageML>Hello, <b>world</b></messageML>");
const [message] = await bot.messages(room.roomSystemInfo.id);
console.log(JSON.stringify({ streamId: room.roomSystemInfo.id, message: message?.message }));
