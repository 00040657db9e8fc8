import { Kysely, Migrator, PostgresDialect, sql, type Migration } from "kysely";
import pg from "pg";

// int8 columns hold user ids and millisecond timestamps, all below 2^53: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface DbOptions {
  url: string;
  /** The service's own schema; no other service touches it. */
  schema: string;
  migrations: Record<string, Migration>;
  poolSize?: number;
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
  await sql`create schema if not exists ${sql.id(opts.schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => opts.migrations },
    migrationTableSchema: opts.schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    await db.destroy();
    throw new Error(`migration ${failed?.migrationName ?? ""} failed in schema ${opts.schema}: ${String(error)}`);
  }
  return db;
}
