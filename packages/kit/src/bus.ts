import { readFileSync } from "node:fs";
import { connect, nkeyAuthenticator, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { env, loadConfig } from "./config.js";

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  close(): Promise<void>;
}

/** How a service proves who it is to NATS, and how it trusts the server. All optional: a NATS without authorization needs none. */
export interface NatsAccess {
  /** NKey seed file of the service's NATS user (the server's authorization config holds only its public key). */
  nkeySeedFile?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

export function natsAccessFromEnv(source: NodeJS.ProcessEnv = process.env): NatsAccess {
  const c = loadConfig(
    {
      nkeySeedFile: env.optional(env.string("NATS_NKEY_SEED_FILE")),
      caFile: env.optional(env.string("NATS_TLS_CA_FILE")),
      certFile: env.optional(env.string("NATS_TLS_CERT_FILE")),
      keyFile: env.optional(env.string("NATS_TLS_KEY_FILE")),
    },
    source,
  );
  const tls = c.caFile || c.certFile || c.keyFile ? { caFile: c.caFile, certFile: c.certFile, keyFile: c.keyFile } : undefined;
  return { nkeySeedFile: c.nkeySeedFile, tls };
}

/**
 * Replies reach a client on its own inbox prefix, `_INBOX.<name>.`, so the authorization config can
 * let each service subscribe to its own replies only (JetStream pulls carry other users' events).
 */
export const inboxPrefix = (name: string) => `_INBOX.${name}`;

export async function connectBus(url: string, name: string, access: NatsAccess = {}): Promise<Bus> {
  const options: ConnectionOptions = {
    servers: url,
    name,
    inboxPrefix: inboxPrefix(name),
    // Keep reconnecting forever: NATS restarts must only delay events, never stop a service.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  };
  if (access.nkeySeedFile) {
    // Read on every (re)connect, so a rotated Secret is used without a restart.
    const seedFile = access.nkeySeedFile;
    options.authenticator = nkeyAuthenticator(() => new TextEncoder().encode(readFileSync(seedFile, "utf8").trim()));
  }
  if (access.tls) options.tls = access.tls;
  const nc = await connect(options);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  return {
    nc,
    js,
    jsm,
    close: async () => {
      await nc.drain();
    },
  };
}

/** Creates the stream, or brings an existing one to this configuration. */
export async function ensureStream(bus: Bus, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await bus.jsm.streams.info(config.name);
  } catch {
    await bus.jsm.streams.add(config);
    return;
  }
  await bus.jsm.streams.update(config.name, config);
}
