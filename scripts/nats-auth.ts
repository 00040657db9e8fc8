// The NATS authorization of the mesh: one NKey user per service, allowed to publish and subscribe
// only the subjects that service uses. `npx tsx scripts/nats-auth.ts <dir>` writes the services'
// seeds (once) and <dir>/authorization.conf for the names in the environment, and prints the config.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { nkeys } from "@nats-io/transport-node";
import { inboxPrefix } from "@symphony/kit";
import { NATS_DEFAULTS, SUBJECTS } from "@symphony/proto/contracts";

/** The names the services are configured with (SUBJECT_PREFIX, EVENTS_STREAM, …); permissions are made from them. */
export interface NatsNames {
  subjectPrefix: string;
  eventsStream: string;
  revocationsBucket: string;
  objectsStream: string;
  entitlementsBucket: string;
}

/** The services' defaults. */
export const DEFAULT_NATS_NAMES: NatsNames = NATS_DEFAULTS;

export const NATS_SERVICES = ["pod", "keymanager", "agent", "objectstore"] as const;
export type NatsService = (typeof NATS_SERVICES)[number];

interface Permissions {
  publish: string[];
  subscribe: string[];
}

// JetStream is driven by requests on `$JS.API.<verb>.<stream>…`; granting verbs per stream keeps a
// service off every other stream, and off deleting or purging its own.
const ownStream = (s: string) => [`$JS.API.STREAM.INFO.${s}`, `$JS.API.STREAM.CREATE.${s}`, `$JS.API.STREAM.UPDATE.${s}`];
const consumersOf = (s: string) => [
  `$JS.API.CONSUMER.CREATE.${s}`,
  // Servers from 2.9 take the consumer name and filter subject in the subject.
  `$JS.API.CONSUMER.CREATE.${s}.>`,
  `$JS.API.CONSUMER.DURABLE.CREATE.${s}.*`,
  `$JS.API.CONSUMER.INFO.${s}.*`,
  `$JS.API.CONSUMER.DELETE.${s}.*`,
  `$JS.API.CONSUMER.MSG.NEXT.${s}.*`,
  `$JS.API.CONSUMER.LIST.${s}`,
  `$JS.API.CONSUMER.NAMES.${s}`,
  `$JS.ACK.${s}.>`,
  // Flow control of the ordered push consumers that KV watches use.
  `$JS.FC.${s}.>`,
];
/**
 * Readers may create the bucket too: services start in any order, and creating a stream that
 * exists with another configuration is refused, so this cannot change the owner's bucket.
 */
const kvReader = (b: string) => [
  `$JS.API.STREAM.INFO.KV_${b}`,
  `$JS.API.STREAM.CREATE.KV_${b}`,
  ...consumersOf(`KV_${b}`),
  `$JS.API.DIRECT.GET.KV_${b}`,
  `$JS.API.DIRECT.GET.KV_${b}.>`,
  `$JS.API.STREAM.MSG.GET.KV_${b}`,
];
const kvWriter = (b: string) => [...kvReader(b), `$KV.${b}.>`];

/** What each service may publish and subscribe to, worked out from what its code touches. */
function natsPermissions(n: NatsNames): Record<NatsService, Permissions> {
  const p = n.subjectPrefix;
  const keysChanged = SUBJECTS.allKeysChanged(p);
  const base = (service: NatsService, publish: string[], subscribe: string[] = []): Permissions => ({
    // Every JetStream client first asks for the account's JetStream info.
    publish: ["$JS.API.INFO", ...publish],
    subscribe: [`${inboxPrefix(service)}.>`, ...subscribe],
  });
  return {
    // Publishes every recipient's events and key notices; owns the events stream; revokes tokens.
    pod: base("pod", [SUBJECTS.userEvents(p, "*"), keysChanged, ...ownStream(n.eventsStream), ...kvWriter(n.revocationsBucket)]),
    // Rotates keys on key notices and announces its own; revokes key manager tokens at logout.
    keymanager: base("keymanager", [keysChanged, ...kvWriter(n.revocationsBucket)], [keysChanged]),
    // Reads datafeeds through durable consumers of the events stream; keeps v4 acks in its own bucket.
    agent: base(
      "agent",
      [...consumersOf(n.eventsStream), ...kvWriter(`${n.eventsStream}_V4_ACKS`), ...kvReader(n.revocationsBucket)],
      [keysChanged],
    ),
    // Owns the objects stream (feeds) and the entitlements bucket.
    objectstore: base("objectstore", [
      `${p}.objects.*.*.*`,
      ...ownStream(n.objectsStream),
      ...consumersOf(n.objectsStream),
      ...kvWriter(n.entitlementsBucket),
      ...kvReader(n.revocationsBucket),
    ]),
  };
}

/** The `authorization` block of nats-server's configuration: the services' public keys and permissions, no secret. */
function natsAuthorization(names: NatsNames, publicKeys: Record<NatsService, string>): string {
  const permissions = natsPermissions(names);
  const users = NATS_SERVICES.map((s) => {
    const { publish, subscribe } = permissions[s];
    const user = { nkey: publicKeys[s], permissions: { publish: { allow: publish }, subscribe: { allow: subscribe } } };
    return `    # ${s}\n    ${JSON.stringify(user)}`;
  });
  const header = `# Symphony mesh NATS users (scripts/nats-auth.ts) for ${JSON.stringify(names)}`;
  return `${header}\nauthorization {\n  users: [\n${users.join(",\n")}\n  ]\n}\n`;
}

export interface NatsCredentials {
  /** nats-server configuration holding the authorization block. */
  configFile: string;
  /** NKey seed file of each service (NATS_NKEY_SEED_FILE). */
  seedFiles: Record<NatsService, string>;
}

/** Makes each service's NKey seed once in dir, and writes dir/authorization.conf for these names. */
export function ensureNatsCredentials(dir: string, names: NatsNames): NatsCredentials {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const seedFiles = Object.fromEntries(NATS_SERVICES.map((s) => [s, join(dir, `${s}.nk`)])) as Record<NatsService, string>;
  const publicKeys = Object.fromEntries(
    NATS_SERVICES.map((s) => {
      if (!existsSync(seedFiles[s])) writeFileSync(seedFiles[s], `${new TextDecoder().decode(nkeys.createUser().getSeed())}\n`, { mode: 0o600 });
      return [s, nkeys.fromSeed(new TextEncoder().encode(readFileSync(seedFiles[s], "utf8").trim())).getPublicKey()];
    }),
  ) as Record<NatsService, string>;
  const configFile = join(dir, "authorization.conf");
  writeFileSync(configFile, natsAuthorization(names, publicKeys));
  return { configFile, seedFiles };
}

/** The names from the same variables the services read, with the services' defaults. */
export function natsNamesFromEnv(e: NodeJS.ProcessEnv): NatsNames {
  const d = DEFAULT_NATS_NAMES;
  return {
    subjectPrefix: e.SUBJECT_PREFIX || d.subjectPrefix,
    eventsStream: e.EVENTS_STREAM || d.eventsStream,
    revocationsBucket: e.REVOCATIONS_BUCKET || d.revocationsBucket,
    objectsStream: e.OBJECTS_STREAM || d.objectsStream,
    entitlementsBucket: e.ENTITLEMENTS_BUCKET || d.entitlementsBucket,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir || dir.startsWith("-")) {
    console.error("usage: npx tsx scripts/nats-auth.ts <credentials dir>   (names from SUBJECT_PREFIX, EVENTS_STREAM, REVOCATIONS_BUCKET, OBJECTS_STREAM, ENTITLEMENTS_BUCKET)");
    process.exit(2);
  }
  const { configFile } = ensureNatsCredentials(dir, natsNamesFromEnv(process.env));
  process.stdout.write(readFileSync(configFile, "utf8"));
  console.error(`seeds (one per service, <service>.nk) and ${configFile} written in ${dir}`);
}
