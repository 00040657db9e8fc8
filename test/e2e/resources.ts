import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import pg from "pg";

/** Removes the schemas and the JetStream stream one e2e run created. */
export async function dropTestResources(databaseUrl: string, natsUrl: string, names: { schemaPrefix: string; eventsStream: string }) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>("select nspname from pg_namespace where nspname like $1", [`${names.schemaPrefix}\\_%`]);
    for (const { nspname } of rows) await client.query(`drop schema "${nspname}" cascade`);
  } finally {
    await client.end();
  }
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const streams = [
      names.eventsStream,
      `KV_${names.eventsStream}_REVOKED`,
      `KV_${names.eventsStream}_V4_ACKS`,
      `${names.eventsStream}_OBJECTS`,
      `KV_${names.eventsStream}_OBJECTSTORE_ENTITLEMENTS`,
    ];
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
