// gRPC metadata keys that carry the caller's tokens through the mesh.
export const SESSION_TOKEN = "session-token";
export const KEY_MANAGER_TOKEN = "key-manager-token";
// Common name of a client certificate the gateway verified (certificate authentication).
export const CLIENT_CERT_CN = "x-client-cert-cn";
// Trailer of a failed call naming the exact 4xx the gateway answers where gRPC has no such
// code (410 Gone, 413 Payload Too Large).
export const HTTP_STATUS = "x-http-status";
