export { main } from "./main.js";
export type { Io } from "./io.js";
export { EXIT } from "./failures.js";
