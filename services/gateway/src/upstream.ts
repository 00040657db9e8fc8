import { Client, credentials, type Metadata, type ServiceError } from "@grpc/grpc-js";
import { CHANNEL_OPTIONS } from "@symphony/kit";

const passThrough = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * Raw-bytes gRPC clients per proto package: the gateway forwards what routes.ts encoded. They take
 * the mesh's channel options, so an answer any service may send (up to the kit's receive limit)
 * reaches the bot.
 */
export class Upstreams {
  private readonly clients = new Map<string, Client>();

  constructor(addresses: Record<string, string>) {
    for (const [pkg, address] of Object.entries(addresses)) {
      this.clients.set(pkg, new Client(address, credentials.createInsecure(), CHANNEL_OPTIONS));
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
