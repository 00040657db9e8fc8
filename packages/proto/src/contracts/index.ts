export * from "./names.js";
export * from "./policies.js";
export * from "./registry.js";
export * from "./roles.js";
export { Credential, Peer, Role } from "../gen/symphony/api/v1/policy.js";
