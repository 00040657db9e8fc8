export * from "./auth.js";
export * from "./bot.js";
