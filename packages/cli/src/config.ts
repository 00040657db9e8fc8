import type { MeshTls } from "@symphony/kit/client";

export const SERVICES = ["gateway", "pod", "keymanager", "agent", "objectstore"] as const;
export type ServiceName = (typeof SERVICES)[number];

const DEFAULT_ADDRESSES: Record<ServiceName, string> = {
  gateway: "127.0.0.1:9100",
  pod: "127.0.0.1:9101",
  keymanager: "127.0.0.1:9102",
  agent: "127.0.0.1:9103",
  objectstore: "127.0.0.1:9104",
};

export const addressEnv = (service: ServiceName) => `SYMPHONY_${service.toUpperCase()}_ADDR`;
export const defaultAddress = (service: ServiceName) => DEFAULT_ADDRESSES[service];
export const ADMIN_USER_ENV = "SYMPHONY_ADMIN_USER";
export const ADMIN_KEY_ENV = "SYMPHONY_ADMIN_KEY";
export const TLS_ENV = { ca: "SYMPHONY_TLS_CA", cert: "SYMPHONY_TLS_CERT", key: "SYMPHONY_TLS_KEY" } as const;
// What `npm start` issues to operators, relative to the directory the CLI runs in.
const LOCAL_TLS = { ca: ".data/keys/mesh-tls/ca.crt", cert: ".data/keys/mesh-tls/operator.crt", key: ".data/keys/mesh-tls/operator.key" } as const;

export interface Config {
  addresses: Record<ServiceName, string>;
  adminUser: string;
  /** Path of the admin's PEM private key; only commands that sign in need it. */
  keyFile: string | undefined;
  /** The operator's mesh certificate: every service requires mutual TLS. */
  tls: MeshTls;
}

/** Flags win over environment variables, which win over the local defaults of `npm start`. */
export function resolveConfig(flags: Record<string, unknown>, env: Record<string, string | undefined>): Config {
  const pick = (flag: string, envName: string) => {
    const value = flags[flag];
    return typeof value === "string" && value !== "" ? value : env[envName] || undefined;
  };
  const addresses = Object.fromEntries(SERVICES.map((s) => [s, pick(s, addressEnv(s)) ?? DEFAULT_ADDRESSES[s]])) as Record<ServiceName, string>;
  const tls: MeshTls = {
    caFile: pick("tls-ca", TLS_ENV.ca) ?? LOCAL_TLS.ca,
    certFile: pick("tls-cert", TLS_ENV.cert) ?? LOCAL_TLS.cert,
    keyFile: pick("tls-key", TLS_ENV.key) ?? LOCAL_TLS.key,
    trustDomain: env.MESH_TRUST_DOMAIN || "symphony",
  };
  return { addresses, adminUser: pick("admin-user", ADMIN_USER_ENV) ?? "admin", keyFile: pick("key", ADMIN_KEY_ENV), tls };
}
