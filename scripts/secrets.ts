import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { join } from "node:path";

export interface MeshSecrets {
  adminKeyPath: string;
  adminPublicKeyPath: string;
  podTokenKeyPath: string;
  kmTokenKeyPath: string;
  /** `<version> <base64>` lines, as KM_MASTER_KEY_FILE expects. */
  masterKeyFile: string;
}

function writeOnce(path: string, make: () => string): void {
  if (!existsSync(path)) writeFileSync(path, make(), { mode: 0o600 });
}

/**
 * The secrets a single-machine mesh needs, made once and kept in keysDir: the admin bot's RSA
 * key pair, the Ed25519 keys that sign session and key manager tokens, and the KM master key.
 * In Kubernetes these come from Secrets instead.
 */
export function ensureSecrets(keysDir: string): MeshSecrets {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const s: MeshSecrets = {
    adminKeyPath: join(keysDir, "admin.pem"),
    adminPublicKeyPath: join(keysDir, "admin.pub.pem"),
    podTokenKeyPath: join(keysDir, "pod-token-signing.pem"),
    kmTokenKeyPath: join(keysDir, "km-token-signing.pem"),
    masterKeyFile: join(keysDir, "km-master.keys"),
  };
  if (!existsSync(s.adminKeyPath)) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(s.adminKeyPath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    writeFileSync(s.adminPublicKeyPath, publicKey.export({ type: "spki", format: "pem" }));
  }
  const ed25519 = () => generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  writeOnce(s.podTokenKeyPath, ed25519);
  writeOnce(s.kmTokenKeyPath, ed25519);
  writeOnce(s.masterKeyFile, () => `1 ${randomBytes(32).toString("base64")}\n`);
  return s;
}
