import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect, type AddressInfo } from "node:net";
import { join } from "node:path";
import pg from "pg";

export interface Infra {
  databaseUrl: string;
  natsUrl: string;
  /** NATS runs with InfraOptions.natsAuthorization: services must connect with their credentials. */
  natsAuthorized: boolean;
  /** Stops only what this call started; servers it found running are left alone. */
  stop(): Promise<void>;
}

export interface InfraOptions {
  /** Where private instances keep their data between runs, e.g. <repo>/.data */
  dataDir: string;
  log: (line: string) => void;
  /** May install Debian's postgresql / nats-server with apt-get when missing (root only). */
  allowInstall: boolean;
  /** The shared servers tried before starting private ones; tests aim them at unused ports to exercise the private path. */
  shared?: { databaseUrl: string; natsUrl: string };
  /** Ports the private servers should take when free (a restart keeps the ones its clients know). */
  ports?: { postgres: number; nats: number };
  /** File with the `authorization` block a private NATS is started with (scripts/nats-auth.ts). */
  natsAuthorization?: string;
}

const SHARED = { databaseUrl: "postgres://postgres@127.0.0.1:5432/postgres", natsUrl: "nats://127.0.0.1:4222" };
const PRIVATE_PG_PORT = 55432;
const PRIVATE_NATS_PORT = 54222;
const isRoot = process.getuid?.() === 0;

interface Started {
  url: string;
  stop?: () => Promise<void>;
  authorized?: boolean;
}

/** Why `select 1` fails at url, or undefined when it works. */
async function postgresProblem(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (err) {
    // A refused connection to a name with several addresses is an AggregateError with an empty message.
    return (err as Error).message || (err as NodeJS.ErrnoException).code || String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why the server at url is no NATS with JetStream (the mesh needs it), or undefined. NATS greets with `INFO {json}`. */
function natsProblem(url: string): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = tcpConnect(Number(port || 4222), hostname);
    let greeting = "";
    const done = (problem?: string) => (socket.destroy(), resolve(problem));
    socket.setTimeout(2_000, () => done("no INFO greeting within 2 s"));
    socket.once("error", (err: NodeJS.ErrnoException) => done(err.message || err.code));
    socket.on("data", (chunk) => {
      greeting += chunk.toString();
      const end = greeting.indexOf("\r\n");
      if (end < 0) return;
      if (!greeting.startsWith("INFO ")) return done("not a NATS server");
      try {
        const info = JSON.parse(greeting.slice(5, end)) as { jetstream?: boolean };
        done(info.jetstream ? undefined : "JetStream is off (nats-server needs -js)");
      } catch {
        done("unreadable INFO greeting");
      }
    });
  });
}

async function waitUntil(what: string, problem: () => Promise<string | undefined>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: string | undefined;
  while (Date.now() < until) {
    last = await problem();
    if (last === undefined) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000} s: ${last}`);
}

/** `preferred` when nothing listens there, else any free port. */
function freePort(preferred: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" && preferred !== 0 ? resolve(freePort(0)) : reject(err)));
    srv.listen(preferred, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const pathDirs = () => (process.env.PATH ?? "").split(":").filter(Boolean);

/** Debian keeps initdb and pg_ctl off PATH, under /usr/lib/postgresql/<version>/bin. */
function postgresBin(): string | undefined {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  return [...versions.map((v) => join(base, v, "bin")), ...pathDirs()].find((d) => existsSync(join(d, "initdb")));
}

function natsBin(): string | undefined {
  return [...pathDirs(), "/usr/sbin", "/usr/local/bin"].map((d) => join(d, "nats-server")).find((f) => existsSync(f));
}

function install(packages: string[], opts: InfraOptions): void {
  const hint =
    `Install ${packages.join(" and ")} (Debian: apt-get install -y ${packages.join(" ")}), ` +
    "or set DATABASE_URL / NATS_URL to running servers (NATS with JetStream).";
  if (!opts.allowInstall || !isRoot) throw new Error(`${packages.join(" and ")} not found. ${hint}`);
  opts.log(`installing ${packages.join(" ")} with apt-get`);
  const run = (args: string[]) =>
    execFileSync("apt-get", args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  try {
    run(["update"]);
    run(["install", "-y", ...packages]);
  } catch (err) {
    throw new Error(`apt-get could not install ${packages.join(" ")}: ${(err as Error).message}\n${hint}`);
  }
}

/** Postgres refuses to run as root, so as root its tools run as the postgres OS user. */
function pgTool(bin: string, tool: string, args: string[]): string {
  const cmd = join(bin, tool);
  return isRoot
    ? execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8", stdio: "pipe" })
    : execFileSync(cmd, args, { encoding: "utf8", stdio: "pipe" });
}

/** As root, the postgres OS user must own the cluster's files and be able to reach them through dataDir. */
function handToPostgresUser(dataDir: string, dirs: string[], files: string[]): void {
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }));
  const [uid, gid] = [id("-u"), id("-g")];
  // Traverse only: dataDir also holds secrets, which stay in their own private directories.
  chmodSync(dataDir, (statSync(dataDir).mode & 0o777) | 0o011);
  for (const d of dirs) chownSync(d, uid, gid);
  for (const f of files) (closeSync(openSync(f, "a")), chownSync(f, uid, gid));
  try {
    execFileSync("runuser", ["-u", "postgres", "--", "test", "-w", dirs[0] ?? dataDir]);
  } catch {
    throw new Error(`the postgres OS user cannot reach ${dataDir}: make its parent directories traversable (chmod o+x) or set DATABASE_URL`);
  }
}

/** The port of the cluster in dir when its postmaster runs (line 4 of postmaster.pid), else undefined. */
function runningPort(bin: string, dir: string): number | undefined {
  try {
    pgTool(bin, "pg_ctl", ["-D", dir, "status"]);
  } catch {
    return undefined;
  }
  return Number(readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n")[3]);
}

async function privatePostgres(bin: string, opts: InfraOptions): Promise<Started> {
  const dir = join(opts.dataDir, "pg");
  const sockets = join(opts.dataDir, "pg-sock");
  const logFile = join(opts.dataDir, "pg.log");
  for (const d of [dir, sockets]) mkdirSync(d, { recursive: true, mode: 0o700 });
  if (isRoot) handToPostgresUser(opts.dataDir, [dir, sockets], [logFile]);
  if (!existsSync(join(dir, "PG_VERSION"))) {
    opts.log(`Postgres: initialising a private cluster in ${dir}`);
    pgTool(bin, "initdb", ["-D", dir, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8"]);
  }
  const running = runningPort(bin, dir);
  if (running) {
    const url = `postgres://postgres@127.0.0.1:${running}/postgres`;
    opts.log(`Postgres: reusing the private cluster already running on 127.0.0.1:${running}`);
    await waitUntil("private Postgres", () => postgresProblem(url), 5_000);
    return { url };
  }
  const port = await freePort(opts.ports?.postgres ?? PRIVATE_PG_PORT);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  opts.log(`Postgres: starting the private cluster on 127.0.0.1:${port} (log ${logFile})`);
  try {
    pgTool(bin, "pg_ctl", ["-D", dir, "-l", logFile, "-o", `-p ${port} -k '${sockets}' -c listen_addresses=127.0.0.1`, "-w", "-t", "60", "start"]);
  } catch (err) {
    throw new Error(`private Postgres did not start (see ${logFile}): ${(err as Error).message}`);
  }
  await waitUntil("private Postgres", () => postgresProblem(url));
  return {
    url,
    stop: async () => {
      opts.log("Postgres: stopping the private cluster");
      pgTool(bin, "pg_ctl", ["-D", dir, "-m", "fast", "-w", "stop"]);
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The private server's configuration file. JetStream is in it rather than in flags: nats-server
 * re-reads the file on SIGHUP and, in 2.9, turns JetStream off when the file does not name it.
 */
function writeNatsConfig(opts: InfraOptions, storeDir: string): string {
  const file = join(opts.dataDir, "nats.conf");
  const authorization = opts.natsAuthorization ? readFileSync(opts.natsAuthorization, "utf8") : "";
  writeFileSync(file, `# Written by scripts/infra.ts on every start.\njetstream { store_dir: ${JSON.stringify(storeDir)} }\n${authorization}`);
  return file;
}

async function privateNats(bin: string, opts: InfraOptions): Promise<Started> {
  const storeDir = join(opts.dataDir, "nats");
  const logFile = join(opts.dataDir, "nats.log");
  // "<pid> <port> [authorized]" of the server this module started, so a later run can find it if it was left running.
  const pidFile = join(opts.dataDir, "nats.pid");
  const [pidField, portField, authField] = existsSync(pidFile) ? readFileSync(pidFile, "utf8").trim().split(" ") : [];
  const [oldPid, oldPort] = [Number(pidField), Number(portField)];
  if (oldPid && oldPort && alive(oldPid) && !(await natsProblem(`nats://127.0.0.1:${oldPort}`))) {
    const authorized = authField === "authorized";
    opts.log(`NATS: reusing the private server already running on 127.0.0.1:${oldPort} (pid ${oldPid})`);
    // It reads its configuration file again on SIGHUP: the authorization follows the current names and keys.
    if (authorized && opts.natsAuthorization) {
      writeNatsConfig(opts, storeDir);
      process.kill(oldPid, "SIGHUP");
    }
    return { url: `nats://127.0.0.1:${oldPort}`, authorized: authorized && opts.natsAuthorization !== undefined };
  }
  const port = await freePort(opts.ports?.nats ?? PRIVATE_NATS_PORT);
  const url = `nats://127.0.0.1:${port}`;
  mkdirSync(storeDir, { recursive: true });
  opts.log(`NATS: starting a private server with JetStream on 127.0.0.1:${port} (log ${logFile})`);
  // Detached so that Ctrl-C in the terminal reaches only the launcher, which then stops it in order.
  const config = writeNatsConfig(opts, storeDir);
  const child = spawn(bin, ["-c", config, "-a", "127.0.0.1", "-p", String(port), "-l", logFile], { detached: true, stdio: "ignore" });
  child.unref();
  let spawnError: Error | undefined;
  child.once("error", (err) => (spawnError = err));
  await waitUntil("private NATS", async () => {
    if (spawnError) throw new Error(`cannot run ${bin}: ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}; see ${logFile}`);
    return natsProblem(url);
  });
  writeFileSync(pidFile, `${child.pid} ${port}${opts.natsAuthorization ? " authorized" : ""}\n`);
  return {
    url,
    authorized: opts.natsAuthorization !== undefined,
    stop: () =>
      new Promise<void>((resolve) => {
        opts.log("NATS: stopping the private server");
        rmSync(pidFile, { force: true });
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => (clearTimeout(kill), resolve()));
        child.kill("SIGTERM");
      }),
  };
}

/** The env URL (which must work), else the shared server when it works, else undefined: start a private one. */
async function existingServer(
  name: string,
  envVar: string,
  sharedUrl: string,
  problemAt: (url: string) => Promise<string | undefined>,
  log: (line: string) => void,
): Promise<string | undefined> {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    const problem = await problemAt(fromEnv);
    if (problem) throw new Error(`${envVar} is set but ${name} there is not usable: ${problem}`);
    log(`${name}: using ${envVar}`);
    return fromEnv;
  }
  const problem = await problemAt(sharedUrl);
  if (problem === undefined) {
    log(`${name}: using ${sharedUrl}`);
    return sharedUrl;
  }
  log(`${name}: nothing usable at ${sharedUrl} (${problem}); using a private instance`);
  return undefined;
}

/**
 * Postgres and NATS (JetStream) for the mesh: DATABASE_URL / NATS_URL when set, else the shared
 * servers on the standard local ports when they answer, else private instances under dataDir,
 * which persist between runs and are reused while running.
 */
export async function ensureInfra(opts: InfraOptions): Promise<Infra> {
  const shared = opts.shared ?? SHARED;
  const databaseUrl = await existingServer("Postgres", "DATABASE_URL", shared.databaseUrl, postgresProblem, opts.log);
  const natsUrl = await existingServer("NATS", "NATS_URL", shared.natsUrl, natsProblem, opts.log);
  const missing = [!databaseUrl && !postgresBin() && "postgresql", !natsUrl && !natsBin() && "nats-server"].filter((p) => p !== false);
  if (missing.length > 0) install(missing, opts);

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  const found = (bin: string | undefined, pkg: string) => {
    if (!bin) throw new Error(`${pkg} was installed but its binaries were not found`);
    return bin;
  };
  try {
    const postgres: Started = databaseUrl ? { url: databaseUrl } : await privatePostgres(found(postgresBin(), "postgresql"), opts);
    if (postgres.stop) stops.push(postgres.stop);
    const nats: Started = natsUrl ? { url: natsUrl } : await privateNats(found(natsBin(), "nats-server"), opts);
    if (nats.stop) stops.push(nats.stop);
    return { databaseUrl: postgres.url, natsUrl: nats.url, natsAuthorized: nats.authorized ?? false, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
