import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import pg from "pg";

export interface Infra {
  databaseUrl: string;
  natsUrl: string;
  /** Stops only what ensureInfra started itself. */
  stop(): Promise<void>;
}

interface InfraOptions {
  /** Where private instances keep their data, e.g. <repo>/.data */
  dataDir: string;
  log: (line: string) => void;
  /** May install Debian's postgresql / nats-server with apt when missing (root only). */
  allowInstall: boolean;
}

const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
const PRIVATE_PG_PORT = 55432;
const PRIVATE_NATS_PORT = 54222;

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** NATS greets every client with an INFO line; JetStream must be on for the events stream. */
function natsAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = tcpConnect(Number(port || 4222), hostname);
    const done = (ok: boolean) => (socket.destroy(), resolve(ok));
    socket.setTimeout(2_000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("data", (d) => done(d.toString().startsWith("INFO")));
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000} s`);
}

function which(binary: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function postgresBin(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const version = readdirSync(base).sort((a, b) => Number(b) - Number(a))[0];
  return version && existsSync(join(base, version, "bin", "initdb")) ? join(base, version, "bin") : undefined;
}

function install(packages: string[], opts: InfraOptions): void {
  if (!opts.allowInstall || process.getuid?.() !== 0) {
    throw new Error(
      `${packages.join(" and ")} not found. Install them (Debian: apt-get install ${packages.join(" ")}) ` +
        "or point DATABASE_URL / NATS_URL at running servers.",
    );
  }
  opts.log(`installing ${packages.join(", ")} with apt`);
  execFileSync("apt-get", ["update"], { stdio: "ignore" });
  execFileSync("apt-get", ["install", "-y", ...packages], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

/** A private cluster under dataDir/pg, run as the postgres OS user (Postgres refuses root). */
async function privatePostgres(opts: InfraOptions): Promise<{ url: string; stop?: () => Promise<void> }> {
  let bin = postgresBin();
  if (!bin) {
    install(["postgresql"], opts);
    bin = postgresBin();
    if (!bin) throw new Error("postgresql was installed but initdb is not under /usr/lib/postgresql");
  }
  const dir = join(opts.dataDir, "pg");
  const sockets = join(opts.dataDir, "pg-sock");
  const url = `postgres://postgres@127.0.0.1:${PRIVATE_PG_PORT}/postgres`;
  const asPostgres = (cmd: string, args: string[]) =>
    process.getuid?.() === 0 ? execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { stdio: "ignore" }) : execFileSync(cmd, args, { stdio: "ignore" });
  for (const d of [opts.dataDir, dir, sockets]) mkdirSync(d, { recursive: true });
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }));
    for (const d of [dir, sockets]) chownSync(d, id("-u"), id("-g"));
  }
  if (!existsSync(join(dir, "PG_VERSION"))) {
    opts.log(`initialising a private Postgres cluster in ${dir}`);
    asPostgres(join(bin, "initdb"), ["-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
  }
  if (await postgresAnswers(url)) return { url };
  opts.log(`starting private Postgres on 127.0.0.1:${PRIVATE_PG_PORT}`);
  asPostgres(join(bin, "pg_ctl"), ["-D", dir, "-l", join(dir, "postgres.log"), "-o", `-p ${PRIVATE_PG_PORT} -k ${sockets} -c listen_addresses=127.0.0.1`, "-w", "start"]);
  await waitUntil("private Postgres", () => postgresAnswers(url));
  return { url, stop: async () => void asPostgres(join(bin, "pg_ctl"), ["-D", dir, "-m", "fast", "stop"]) };
}

/** A private nats-server with JetStream under dataDir/nats. */
async function privateNats(opts: InfraOptions): Promise<{ url: string; stop?: () => Promise<void> }> {
  let bin = which("nats-server") ?? (existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : undefined);
  if (!bin) {
    install(["nats-server"], opts);
    bin = which("nats-server") ?? "/usr/sbin/nats-server";
  }
  const url = `nats://127.0.0.1:${PRIVATE_NATS_PORT}`;
  if (await natsAnswers(url)) return { url };
  opts.log(`starting private NATS (JetStream) on 127.0.0.1:${PRIVATE_NATS_PORT}`);
  mkdirSync(join(opts.dataDir, "nats"), { recursive: true });
  const child = spawn(bin, ["-a", "127.0.0.1", "-p", String(PRIVATE_NATS_PORT), "-js", "-sd", join(opts.dataDir, "nats"), "-l", join(opts.dataDir, "nats.log")], {
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  await waitUntil("private NATS", () => natsAnswers(url));
  return { url, stop: async () => void child.kill("SIGTERM") };
}

/**
 * Postgres and NATS for the mesh: DATABASE_URL / NATS_URL when set, else the standard local
 * ports when they answer, else private instances under dataDir (kept between runs).
 */
export async function ensureInfra(opts: InfraOptions): Promise<Infra> {
  const stops: (() => Promise<void>)[] = [];
  let databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    if (!(await postgresAnswers(databaseUrl))) throw new Error("DATABASE_URL is set but Postgres does not answer there");
    opts.log("Postgres: DATABASE_URL");
  } else if (await postgresAnswers(DEFAULT_DATABASE_URL)) {
    databaseUrl = DEFAULT_DATABASE_URL;
    opts.log("Postgres: 127.0.0.1:5432");
  } else {
    const p = await privatePostgres(opts);
    databaseUrl = p.url;
    if (p.stop) stops.push(p.stop);
  }
  let natsUrl = process.env.NATS_URL;
  if (natsUrl) {
    if (!(await natsAnswers(natsUrl))) throw new Error("NATS_URL is set but NATS does not answer there");
    opts.log("NATS: NATS_URL");
  } else if (await natsAnswers(DEFAULT_NATS_URL)) {
    natsUrl = DEFAULT_NATS_URL;
    opts.log("NATS: 127.0.0.1:4222");
  } else {
    const n = await privateNats(opts);
    natsUrl = n.url;
    if (n.stop) stops.push(n.stop);
  }
  return { databaseUrl, natsUrl, stop: async () => void (await Promise.all(stops.map((s) => s()))) };
}
