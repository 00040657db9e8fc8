import type { PeerCertificate } from "node:tls";
import { experimental, type ChannelCredentials, type ServerCredentials } from "@grpc/grpc-js";
import { PEER_NAMES, type PeerName } from "@symphony/proto/contracts";
import { env, loadConfig } from "./config.js";

/**
 * The mesh's mutual TLS: every gRPC server requires a client certificate from the mesh CA and
 * every client presents its own. A certificate names its service in a URI SAN
 * `spiffe://<trust domain>/<service>`; that name is what call policies check. The files are
 * watched, so a renewed certificate (cert-manager, a rotated Secret) is picked up without a restart.
 */
export interface MeshTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  trustDomain: string;
}

// Kubernetes updates a mounted Secret within about a minute; watching more often buys nothing.
const REFRESH_MS = 30_000;

export function meshTlsFromEnv(source: NodeJS.ProcessEnv = process.env): MeshTls {
  return loadConfig(
    {
      caFile: env.string("MESH_TLS_CA_FILE"),
      certFile: env.string("MESH_TLS_CERT_FILE"),
      keyFile: env.string("MESH_TLS_KEY_FILE"),
      trustDomain: env.string("MESH_TRUST_DOMAIN", "symphony"),
    },
    source,
  );
}

function provider(tls: MeshTls) {
  return new experimental.FileWatcherCertificateProvider({
    caCertificateFile: tls.caFile,
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    refreshIntervalMs: REFRESH_MS,
  });
}

const LOAD_TIMEOUT_MS = 10_000;

/**
 * Server credentials, and when their files were first read: until then the server would refuse
 * every handshake, so a service reports ready only after it (and stops with a clear message if
 * the files cannot be read).
 */
export function serverCredentials(tls: MeshTls): { credentials: ServerCredentials; loaded: Promise<void> } {
  const files = provider(tls);
  const loaded = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mesh certificate ${tls.certFile} or key ${tls.keyFile} could not be read`)), LOAD_TIMEOUT_MS);
    const first = (update: unknown) => {
      if (!update) return;
      clearTimeout(timer);
      files.removeIdentityCertificateListener(first);
      resolve();
    };
    files.addIdentityCertificateListener(first);
  });
  return { credentials: experimental.createCertificateProviderServerCredentials(files, files, true), loaded };
}

/** The mesh identity a certificate carries, or undefined for one that names none of ours. */
export function peerOf(cert: Pick<PeerCertificate, "subjectaltname"> | undefined, trustDomain: string): PeerName | undefined {
  const prefix = `URI:spiffe://${trustDomain}/`;
  for (const entry of (cert?.subjectaltname ?? "").split(/,\s*/)) {
    if (!entry.startsWith(prefix)) continue;
    const name = entry.slice(prefix.length);
    if ((PEER_NAMES as readonly string[]).includes(name)) return name as PeerName;
  }
  return undefined;
}

/**
 * Credentials to call `expected`: the server must present the mesh identity of that service.
 * The identity is checked instead of the host name, so addresses (loopback, headless Service
 * DNS, a proxy) need not appear in certificates.
 */
export function channelCredentials(tls: MeshTls, expected: PeerName): ChannelCredentials {
  const files = provider(tls);
  return experimental.createCertificateProviderChannelCredentials(files, files, {
    checkServerIdentity: (_host, cert) => {
      const peer = peerOf(cert, tls.trustDomain);
      return peer === expected ? undefined : new Error(`the server presented ${peer ?? "no mesh identity"}, not ${expected}`);
    },
  });
}

/** Where a service's gRPC server listens, and with which identity. */
export function grpcServerConfig(defaultPort: number, source: NodeJS.ProcessEnv = process.env): { port: number; host: string; tls: MeshTls } {
  const { port, host } = loadConfig(
    {
      port: env.port("GRPC_PORT", defaultPort),
      // Loopback unless told otherwise: the container manifests set 0.0.0.0 behind NetworkPolicies.
      host: env.string("GRPC_HOST", "127.0.0.1"),
    },
    source,
  );
  return { port, host, tls: meshTlsFromEnv(source) };
}
