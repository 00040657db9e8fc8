// The mesh PKI of a development cluster, made once in <secretsDir>/mesh-tls with the same local CA
// code as `npm start` (@symphony/kit/pki): a certificate per identity, for the dev overlay's
// secretGenerator and, as mesh-tls-values.yaml, for the Helm chart's dev.secrets.meshTls (Helm
// cannot issue certificates with URI SANs). operator.crt/.key there are symphony-admin's.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { meshPki } from "@symphony/kit/pki";
import type { PeerName } from "@symphony/proto/contracts";
import { stringify } from "yaml";

const SERVICES: PeerName[] = ["gateway", "pod", "keymanager", "agent", "objectstore"];

export interface DevMeshTls {
  dir: string;
  /** Values for `helm -f`: dev.secrets.meshTls with the PEM of the CA and of every service. */
  helmValuesFile: string;
}

export function ensureDevMeshTls(secretsDir: string): DevMeshTls {
  const pki = meshPki(join(secretsDir, "mesh-tls"));
  const identities: Record<string, { cert: string; key: string }> = {};
  for (const name of SERVICES) {
    const tls = pki.identity(name);
    identities[name] = { cert: readFileSync(tls.certFile, "utf8"), key: readFileSync(tls.keyFile, "utf8") };
  }
  pki.identity("operator");
  const helmValuesFile = join(secretsDir, "mesh-tls-values.yaml");
  writeFileSync(helmValuesFile, stringify({ dev: { secrets: { meshTls: { ca: readFileSync(pki.caFile, "utf8"), identities } } } }), { mode: 0o600 });
  return { dir: pki.dir, helmValuesFile };
}
