import { randomBytes } from "node:crypto";
import pg from "pg";

// Shared by the services' integration tests: real Postgres and NATS on loopback, one
// private schema / stream per test file so files run in parallel without seeing each other.
export const testDatabaseUrl = () => process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const testNatsUrl = () => process.env.NATS_URL ?? "nats://127.0.0.1:4222";
export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(4).toString("hex")}`;

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
