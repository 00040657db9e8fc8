import {
  Metadata,
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  type ServiceError,
  type ChannelCredentials,
} from "@grpc/grpc-js";
import type { PeerName } from "@symphony/proto/contracts";
import { channelCredentials, type MeshTls } from "./mesh-tls.js";
import { GRPC_MAX_MESSAGE_BYTES } from "./limits.js";

type ClientCtor<C> = new (address: string, creds: ChannelCredentials, options?: object) => C;

/** Channel options every client of the mesh uses (the gateway's raw client too). */
export const CHANNEL_OPTIONS = {
  "grpc.keepalive_time_ms": 30_000,
  "grpc.max_receive_message_length": GRPC_MAX_MESSAGE_BYTES,
  // Retries calls that never reached the server (e.g. a peer restarting).
  "grpc.enable_retries": 1,
} as const;

/**
 * The options of a channel to `peer`. TLS names the server by its service name (which its
 * certificate carries as a DNS name) rather than by an IP address, which SNI does not allow.
 */
export const channelOptions = (peer: PeerName) => ({ ...CHANNEL_OPTIONS, "grpc.ssl_target_name_override": peer });

/** A client of the service `peer` at `address`, over the mesh's mutual TLS. */
export function createClient<C extends Client>(Ctor: ClientCtor<C>, address: string, peer: PeerName, tls: MeshTls): C {
  return new Ctor(address, channelCredentials(tls, peer), channelOptions(peer));
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (err: ServiceError | null, res: Res) => void,
) => ClientUnaryCall;

/** Promise form of a generated grpc-js unary method: `await unary(client, client.getX, req, md)`. */
export function unary<C extends Client, Req, Res>(
  client: C,
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata: Metadata = new Metadata(),
  timeoutMs = 30_000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

export function metadataOf(entries: Record<string, string | undefined>): Metadata {
  const md = new Metadata();
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) md.set(k, v);
  return md;
}
