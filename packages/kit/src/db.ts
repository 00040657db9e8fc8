import { Kysely, Migrator, PostgresDialect, sql, type Migration } from "kysely";
import pg from "pg";
import { meter } from "./telemetry.js";

// int8 columns hold user ids and millisecond timestamps, all below 2^53: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// int8[] (member and recipient id lists) likewise: pg's own array parser, then numbers.
// pg-types names only scalar builtins, not their array types.
const INT8_ARRAY = 1016 as unknown as Parameters<typeof pg.types.setTypeParser>[0];
const parseTextArray = pg.types.getTypeParser(INT8_ARRAY) as (v: string) => (string | null)[];
pg.types.setTypeParser(INT8_ARRAY, (v: string) => parseTextArray(v).map((x) => (x === null ? null : Number(x))));

export interface DbOptions {
  url: string;
  /** The service's own schema; no other service touches it. */
  schema: string;
  migrations: Record<string, Migration>;
  poolSize?: number;
  /**
   * auto: migrate, then serve (one replica at a time: kysely's migrator holds a lock).
   * only: migrate and exit, as a deployment's migration Job does. skip: the Job has done it.
   */
  migrate?: MigrateMode;
}

export const MIGRATE_MODES = ["auto", "only", "skip"] as const;
export type MigrateMode = (typeof MIGRATE_MODES)[number];

const poolConnections = meter.createObservableGauge("db.client.connection.count", {
  description: "Connections of the service's Postgres pool, by state (idle, used)",
});
const poolPending = meter.createObservableGauge("db.client.connection.pending_requests", {
  description: "Queries waiting for a connection of the service's Postgres pool",
});

function observePool(pool: pg.Pool, schema: string): void {
  const name = { "db.client.connection.pool.name": schema };
  poolConnections.addCallback((r) => {
    r.observe(pool.idleCount, { ...name, "db.client.connection.state": "idle" });
    r.observe(pool.totalCount - pool.idleCount, { ...name, "db.client.connection.state": "used" });
  });
  poolPending.addCallback((r) => r.observe(pool.waitingCount, name));
}

export async function openDb<DB>(opts: DbOptions): Promise<Kysely<DB>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(opts.schema)) throw new Error(`invalid schema name ${opts.schema}`);
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    options: `-c search_path=${opts.schema}`,
    connectionTimeoutMillis: 5_000,
  });
  // A client losing its server (Postgres restart) must not crash the process: the query in flight
  // fails with that error, and the pool replaces the client. Without these listeners pg re-throws
  // the connection's 'error' event, idle or checked out.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  observePool(pool, opts.schema);
  if (opts.migrate === "skip") return db;
  await sql`create schema if not exists ${sql.id(opts.schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => opts.migrations },
    migrationTableSchema: opts.schema,
  });
  const { error, results } = await migrateToLatest(migrator);
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    await db.destroy();
    throw new Error(`migration ${failed?.migrationName ?? ""} failed in schema ${opts.schema}: ${String(error)}`);
  }
  if (opts.migrate === "only") {
    await db.destroy();
    process.exit(0);
  }
  return db;
}

/**
 * The migrator looks for its own table by scanning the catalog of every schema; another service or
 * tenant dropping its schema meanwhile makes that scan fail with "schema does not exist" (3F000)
 * before any migration ran. That scan is retried; a failing migration is not.
 */
async function migrateToLatest(migrator: Migrator): ReturnType<Migrator["migrateToLatest"]> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await migrator.migrateToLatest();
    const droppedElsewhere = (outcome.error as { code?: string } | undefined)?.code === "3F000" && !outcome.results?.length;
    if (!droppedElsewhere || attempt === 5) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
}
