import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  close(): Promise<void>;
}

export async function connectBus(url: string, name: string): Promise<Bus> {
  const nc = await connect({
    servers: url,
    name,
    // Keep reconnecting forever: NATS restarts must only delay events, never stop a service.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
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
