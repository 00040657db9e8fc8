import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PeerCertificate } from "node:tls";
import { Metadata } from "@grpc/grpc-js";
import { Credential, METADATA, type MethodPolicy } from "@symphony/proto/contracts";
import pg from "pg";
import { Caller } from "./caller.js";
import { createLogger } from "./logger.js";
import type { Principal } from "./tokens.js";

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

export interface PrivateNats {
  url: string;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** A nats-server of the test's own, with JetStream, for limits the shared one must not change. */
export async function startPrivateNats(opts: { maxPayload: number }): Promise<PrivateNats> {
  const dir = await mkdtemp(join(tmpdir(), "nats-test-"));
  const port = await freePort();
  const configFile = join(dir, "nats.conf");
  await writeFile(configFile, `port: ${port}\nhost: 127.0.0.1\nmax_payload: ${opts.maxPayload}\njetstream { store_dir: "${join(dir, "js")}" }\n`);
  const bin = process.env.NATS_SERVER_BIN ?? "/usr/sbin/nats-server";
  const child = spawn(bin, ["-c", configFile], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${bin} exited with code ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const sock = connect(port, "127.0.0.1", () => {
        sock.end();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface TestCallerOptions {
  /** The bot the call's session token names (a verified token's principal, or just a user id); absent for a call without one. */
  bot?: Pick<Principal, "userId"> & Partial<Principal>;
  /** The bot's current roles. */
  roles?: readonly string[];
  /** A client certificate's common name, as the gateway forwards it. */
  certificateName?: string;
}

const TEST_TRUST_DOMAIN = "test.local";

/**
 * A caller admitted the way CallGuard admits one (from the gateway, with a session token or a verified
 * client certificate), so tests can call handlers directly.
 */
export function testCaller(opts: TestCallerOptions): Promise<Caller> {
  const { bot, certificateName } = opts;
  const credential = bot ? Credential.CREDENTIAL_SESSION : certificateName ? Credential.CREDENTIAL_GATEWAY_VERIFIED_CERTIFICATE : Credential.CREDENTIAL_NONE;
  const policy: MethodPolicy = { path: "/test/Call", callers: new Set(["gateway"]), credential, roles: [] };
  const md = new Metadata();
  if (bot) md.set(METADATA.sessionToken, "test-session");
  if (certificateName) md.set(METADATA.clientCertificateName, certificateName);
  const principal: Principal = { username: `user${bot?.userId}`, jti: randomUUID(), exp: 0, issuedAtMs: 0, userId: 0, ...bot };
  const cert = { subjectaltname: `URI:spiffe://${TEST_TRUST_DOMAIN}/gateway` } as PeerCertificate;
  return Caller.admit(policy, cert, md, {
    logger: createLogger("test", "silent"),
    trustDomain: TEST_TRUST_DOMAIN,
    authenticators: { session: async () => principal, roles: async () => opts.roles ?? [] },
  });
}
