import { Metadata, type Client } from "@grpc/grpc-js";
import { sql, type Kysely } from "kysely";
import type { Bus } from "./bus.js";
import type { Logger } from "./logger.js";

/** One dependency a service needs to serve: resolves when it answers, rejects (or hangs) when not. */
export type ReadinessCheck = () => Promise<unknown>;

// Often enough that load balancers stop sending within seconds, rarely enough to cost nothing.
const INTERVAL_MS = 5_000;
const TIMEOUT_MS = 2_000;

export const dependency = {
  database: <DB>(db: Kysely<DB>): ReadinessCheck => () => sql`select 1`.execute(db),
  // A flush is a round trip to the server; it does not answer while the connection is down.
  nats: (bus: Bus): ReadinessCheck => () => bus.nc.flush(),
  /** grpc.health.v1.Health/Check over the client's own channel (same address, same mTLS); SERVING is the bytes 08 01. */
  upstream: (client: Client): ReadinessCheck => () =>
    new Promise<void>((resolve, reject) => {
      client.makeUnaryRequest("/grpc.health.v1.Health/Check", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata(), { deadline: Date.now() + TIMEOUT_MS }, (err, res) =>
        err ? reject(err) : res?.length === 2 && res[1] === 1 ? resolve() : reject(new Error("not serving")),
      );
    }),
};

function withTimeout(check: ReadinessCheck): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS)));
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Checks every dependency periodically and reports the service as serving only while all of them
 * answer. Transitions are logged once, naming the dependencies that are down.
 */
export function watchReadiness(checks: Record<string, ReadinessCheck>, logger: Logger, report: (serving: boolean) => void): { stop(): void } {
  let down = new Set<string>();
  let running = false;
  const round = async () => {
    if (running) return;
    running = true;
    const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await withTimeout(check).then(() => undefined, (err: unknown) => err)] as const));
    running = false;
    const failed = new Set(results.filter(([, err]) => err !== undefined).map(([name]) => name));
    const changed = failed.size !== down.size || [...failed].some((n) => !down.has(n));
    if (!changed) return;
    if (failed.size > 0) logger.warn({ down: [...failed], errors: results.filter(([, e]) => e).map(([n, e]) => `${n}: ${e instanceof Error ? e.message : String(e)}`) }, "not ready: a dependency is down");
    else logger.info({ dependencies: Object.keys(checks) }, "ready: every dependency answers");
    down = failed;
    report(failed.size === 0);
  };
  const timer = setInterval(() => void round(), INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
