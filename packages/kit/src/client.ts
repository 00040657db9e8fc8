// What a gRPC client of the mesh needs and nothing more (no database, no NATS): the operator
// CLI and other internal tools import this entry point alone.
export { isServiceError } from "./errors.js";
export { CHANNEL_OPTIONS, channelOptions, createClient, metadataOf, unary } from "./grpc-client.js";
export { channelCredentials, meshTlsFromEnv, peerOf, type MeshTls } from "./mesh-tls.js";
export { KEY_MANAGER_TOKEN, SESSION_TOKEN } from "./metadata.js";
