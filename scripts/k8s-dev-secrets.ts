// Makes the development overlay's secrets (deploy/k8s/overlays/dev/secrets, git-ignored) once:
// the admin bot's key pair, the token signing keys, the KM master key, the services' NATS seeds
// with the dev NATS's authorization, and the mesh PKI. admin.pem there is the admin bot's private
// key for provisioning users against the dev cluster, and mesh-tls/operator.{crt,key} the
// certificate symphony-admin and grpcurl present.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDevMeshTls } from "./dev-mesh-tls.js";
import { DEFAULT_NATS_NAMES, ensureNatsCredentials } from "./nats-auth.js";
import { ensureSecrets } from "./secrets.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "deploy", "k8s", "overlays", "dev", "secrets");
const secrets = ensureSecrets(dir);
ensureNatsCredentials(join(dir, "nats"), DEFAULT_NATS_NAMES);
const mesh = ensureDevMeshTls(dir);
console.log(`development secrets in ${dir}; admin bot private key: ${secrets.adminKeyPath}`);
console.log(`mesh CA and certificates in ${mesh.dir}; for Helm: -f ${mesh.helmValuesFile}`);
