// Size limits every layer of the mesh agrees on, so input the platform cannot carry is refused
// at the edge with a 400 rather than failing later in a service or on the bus.

/** Symphony's cap on one message: its MessageML plus its data (JSON), in bytes. */
export const MAX_MESSAGE_BYTES = 1_500_000;

/** The largest gRPC message any server or client of the mesh sends or takes (the gateway's too). */
export const GRPC_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/**
 * A page of history stops before its ciphertext passes this many bytes (it always holds at least
 * one message): decrypted and framed, it stays well under GRPC_MAX_MESSAGE_BYTES.
 */
export const MAX_PAGE_BYTES = 3 * 1024 * 1024;
