import { Client, type Metadata, type ServiceError } from "@grpc/grpc-js";
import { channelCredentials, channelOptions, type MeshTls } from "@symphony/kit/client";
import type { PeerName } from "@symphony/proto/contracts";

const passThrough = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** The service that serves a proto package: symphony.pod.v1 → pod. */
const peerOfPackage = (pkg: string) => pkg.split(".")[1] as PeerName;

/**
 * Raw-bytes gRPC clients per proto package: the gateway forwards what routes.ts encoded, over the
 * mesh's mTLS, with the kit's channel options, so any answer a service may send (up to the kit's
 * receive limit) reaches the bot.
 */
export class Upstreams {
  private readonly clients = new Map<string, Client>();

  constructor(addresses: Record<string, string>, tls: MeshTls) {
    for (const [pkg, address] of Object.entries(addresses)) {
      const peer = peerOfPackage(pkg);
      this.clients.set(pkg, new Client(address, channelCredentials(tls, peer), channelOptions(peer)));
    }
  }

  call(pkg: string, path: string, request: Uint8Array, metadata: Metadata, timeoutMs: number): Promise<Buffer> {
    const client = this.clients.get(pkg);
    if (!client) return Promise.reject(new Error(`no upstream for ${pkg}`));
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(path, passThrough, (b: Buffer) => b, request, metadata, { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, res?: Buffer) =>
        err ? reject(err) : resolve(res ?? Buffer.alloc(0)),
      );
    });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}
