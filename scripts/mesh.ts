import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client, Metadata } from "@grpc/grpc-js";
import { channelCredentials, channelOptions, type MeshTls } from "@symphony/kit/client";
import { meshPki, meshTlsEnv } from "@symphony/kit/pki";
import { ensureSecrets } from "./secrets.js";
import { ensureSelfSignedCert } from "./tls.js";

export interface MeshOptions {
  databaseUrl: string;
  natsUrl: string;
  /** Persistent secrets, e.g. .data/keys (admin.pem is the admin bot's private key). */
  keysDir: string;
  /** The operator's own admin public key (PEM); a key pair is generated in keysDir otherwise. */
  adminPublicKeyFile?: string;
  /** When set, the gateway also serves HTTPS with a self-signed certificate kept here. */
  tlsDir?: string;
  /** Isolation for tests: schema names, NATS subjects and stream get these prefixes. */
  schemaPrefix?: string;
  subjectPrefix?: string;
  eventsStream?: string;
  httpPort?: number;
  httpsPort?: number;
  /** Child output goes to <logDir>/<service>.log; inherited when absent. */
  logDir?: string;
  /** Extra environment per service, e.g. { agent: { KEY_CACHE_TTL_MS: "0" } }. */
  serviceEnv?: Partial<Record<Service, Record<string, string>>>;
  /** Extra node flags for every service, e.g. --cpu-prof for a benchmark profile. */
  nodeArgs?: string[];
  /** NKey seed file of each service's NATS user, when NATS runs with the mesh's authorization (scripts/nats-auth.ts). */
  natsSeedFiles?: Partial<Record<Service, string>>;
  /** A service died while the mesh was up. */
  onExit?: (service: string, code: number | null) => void;
}

export interface Mesh {
  gatewayUrl: string;
  gatewayHttpsUrl?: string;
  adminKeyPath: string;
  logDir?: string;
  /** gRPC host:port of each service, for internal tools and tests. */
  grpcAddresses: Record<Service, string>;
  /** Prometheus endpoint (http://host:port/metrics) of each service. */
  metricsUrls: Record<Service, string>;
  /** Kills a service (SIGKILL by default, as a crash would) and starts it again; resolves once it serves. */
  restart(service: Service, signal?: NodeJS.Signals): Promise<void>;
  /** Signals a service (SIGTERM by default) and resolves with its exit code once it has exited. */
  stopService(service: Service, signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts a stopped service; resolves once it serves. */
  startService(service: Service): Promise<void>;
  /** TLS files of the operator identity: what symphony-admin, grpcurl and tests present to call services. */
  operatorTls: MeshTls;
  /** Issues (once) a mesh certificate for any identity name, e.g. a service's, for tests. */
  meshIdentity(name: string): MeshTls;
  /** Process ids by service, e.g. for measuring memory. */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SERVICES = ["pod", "keymanager", "agent", "objectstore", "gateway"] as const;
export type Service = (typeof SERVICES)[number];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const HEALTH = ["UNKNOWN", "SERVING", "NOT_SERVING"] as const;

/** grpc.health.v1.Health/Check of the whole server; the answer is one varint field (SERVING = 08 01). */
export function healthOf(address: string, service: Service, tls: MeshTls): Promise<(typeof HEALTH)[number] | "UNREACHABLE"> {
  const client = new Client(address, channelCredentials(tls, service), channelOptions(service));
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      new Metadata(),
      { deadline: Date.now() + 1_000 },
      (err, res) => {
        client.close();
        resolve(err || !res ? "UNREACHABLE" : (HEALTH[res.length === 2 ? res[1]! : 0] ?? "UNKNOWN"));
      },
    );
  });
}


function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
}

/** Starts the five services as separate processes wired to each other and waits until all serve. */
export async function startMesh(opts: MeshOptions): Promise<Mesh> {
  const secrets = ensureSecrets(opts.keysDir);
  // Every gRPC hop is mutual TLS: one private CA per data directory, one certificate per service.
  const pki = meshPki(join(opts.keysDir, "mesh-tls"));
  const operatorTls = pki.identity("operator");
  const tls = opts.tlsDir ? ensureSelfSignedCert(opts.tlsDir) : undefined;
  const grpcPorts = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()]))) as Record<Service, number>;
  const metricsPorts = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()]))) as Record<Service, number>;
  const httpPort = opts.httpPort || (await freePort());
  const httpsPort = opts.httpsPort || (await freePort());
  const adminPublicKeyFile = opts.adminPublicKeyFile ?? secrets.adminPublicKeyPath;
  const schema = (s: string) => (opts.schemaPrefix ? `${opts.schemaPrefix}_${s}` : s);
  const addr = (s: Service) => `127.0.0.1:${grpcPorts[s]}`;

  const common = {
    DATABASE_URL: opts.databaseUrl,
    NATS_URL: opts.natsUrl,
    POD_ADDR: addr("pod"),
    KM_ADDR: addr("keymanager"),
    AGENT_ADDR: addr("agent"),
    OBJECTSTORE_ADDR: addr("objectstore"),
    // Nothing balances load across a local mesh: no need to wait for endpoints to drop a stopping service.
    SHUTDOWN_DELAY_MS: "0",
    GRPC_HOST: "127.0.0.1",
    METRICS_HOST: "127.0.0.1",
    ...(opts.subjectPrefix ? { SUBJECT_PREFIX: opts.subjectPrefix } : {}),
    ...(opts.eventsStream ? { EVENTS_STREAM: opts.eventsStream, REVOCATIONS_BUCKET: `${opts.eventsStream}_REVOKED` } : {}),
  };
  const perService: Record<Service, Record<string, string>> = {
    pod: { DB_SCHEMA: schema("pod"), TOKEN_SIGNING_KEY_FILE: secrets.podTokenKeyPath, ADMIN_PUBLIC_KEY_FILE: adminPublicKeyFile },
    keymanager: { DB_SCHEMA: schema("keymanager"), TOKEN_SIGNING_KEY_FILE: secrets.kmTokenKeyPath, KM_MASTER_KEY_FILE: secrets.masterKeyFile },
    agent: {},
    objectstore: {
      DB_SCHEMA: schema("objectstore"),
      ...(opts.eventsStream ? { OBJECTS_STREAM: `${opts.eventsStream}_OBJECTS`, ENTITLEMENTS_BUCKET: `${opts.eventsStream}_OBJECTSTORE_ENTITLEMENTS` } : {}),
    },
    gateway: {
      HTTP_PORT: String(httpPort),
      HOST: "127.0.0.1",
      ...(tls ? { HTTPS_PORT: String(httpsPort), TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile } : {}),
    },
  };
  for (const [s, seedFile] of Object.entries(opts.natsSeedFiles ?? {})) perService[s as Service].NATS_NKEY_SEED_FILE = seedFile;
  if (opts.logDir) mkdirSync(opts.logDir, { recursive: true });

  const children = new Map<Service, ChildProcess>();
  const restarting = new Set<Service>();
  let stopping = false;
  const start = (service: Service) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), "--import", "tsx", "--import", "@symphony/kit/instrument", `services/${service}/src/main.ts`], {
      cwd: root,
      env: { ...process.env, ...common, ...perService[service], ...meshTlsEnv(pki.identity(service)), ...opts.serviceEnv?.[service], GRPC_PORT: String(grpcPorts[service]), METRICS_PORT: String(metricsPorts[service]), OTEL_SERVICE_NAME: service },
      stdio: opts.logDir ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    });
    if (opts.logDir) {
      const log = createWriteStream(join(opts.logDir, `${service}.log`), { flags: "a" });
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
    }
    child.once("exit", (code) => {
      children.delete(service);
      if (!stopping && !restarting.has(service)) opts.onExit?.(service, code);
    });
    children.set(service, child);
  };

  const stop = async () => {
    stopping = true;
    await Promise.all(
      [...children.values()].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const kill = setTimeout(() => c.kill("SIGKILL"), 15_000);
            c.once("exit", () => (clearTimeout(kill), resolve()));
            c.kill("SIGTERM");
          }),
      ),
    );
  };

  // A service that exits while starting fails the start at once instead of at the timeout.
  const serving = async (s: Service) => {
    if (!children.has(s)) throw new Error(`${s} exited during start${opts.logDir ? `; see ${join(opts.logDir, `${s}.log`)}` : ""}`);
    return (await healthOf(addr(s), s, operatorTls)) === "SERVING";
  };
  try {
    // The pod first: it creates the admin account and the events stream the others rely on.
    start("pod");
    await waitFor("pod", () => serving("pod"));
    for (const s of ["keymanager", "agent", "objectstore", "gateway"] as const) start(s);
    await Promise.all((["keymanager", "agent", "objectstore", "gateway"] as const).map((s) => waitFor(s, () => serving(s))));
    await waitFor("gateway HTTP", () => tcpOpen(httpPort));
  } catch (err) {
    await stop();
    throw err;
  }
  const stopService = async (service: Service, signal: NodeJS.Signals = "SIGTERM") => {
    const child = children.get(service);
    if (!child) return null;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    restarting.add(service);
    child.kill(signal);
    const code = await exited;
    restarting.delete(service);
    return code;
  };
  const startService = async (service: Service) => {
    start(service);
    await waitFor(service, () => serving(service));
  };
  return {
    gatewayUrl: `http://127.0.0.1:${httpPort}`,
    gatewayHttpsUrl: tls ? `https://127.0.0.1:${httpsPort}` : undefined,
    adminKeyPath: secrets.adminKeyPath,
    logDir: opts.logDir,
    grpcAddresses: Object.fromEntries(SERVICES.map((s) => [s, addr(s)])) as Record<Service, string>,
    metricsUrls: Object.fromEntries(SERVICES.map((s) => [s, `http://127.0.0.1:${metricsPorts[s]}/metrics`])) as Record<Service, string>,
    restart: async (service, signal = "SIGKILL") => {
      await stopService(service, signal);
      await startService(service);
    },
    stopService,
    startService,
    operatorTls,
    meshIdentity: (name) => pki.identity(name),
    pids: () => Object.fromEntries([...children].flatMap(([s, c]) => (c.pid === undefined ? [] : [[s, c.pid]]))),
    stop,
  };
}
