export * from "./hash.js";
