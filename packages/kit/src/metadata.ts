// gRPC metadata keys that carry the caller's tokens through the mesh.
export const SESSION_TOKEN = "session-token";
export const KEY_MANAGER_TOKEN = "key-manager-token";
