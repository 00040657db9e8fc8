import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { PeerName } from "@symphony/proto/contracts";
import type { MeshTls } from "./mesh-tls.js";

// A private certificate authority for one machine's mesh (npm start, tests): one CA and one
// certificate per service identity, made once with openssl and kept. Production mounts
// certificates from Secrets or cert-manager instead (docs/deploy.md).

const openssl = (args: string[]) => {
  try {
    execFileSync("openssl", args, { stdio: "pipe" });
  } catch (err) {
    throw new Error(`openssl failed (Debian: apt-get install openssl): ${(err as Error).message}`);
  }
};

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export interface MeshPki {
  dir: string;
  caFile: string;
  trustDomain: string;
  /** The TLS files of one identity, issued on first use. */
  identity(name: PeerName | string): MeshTls;
}

/**
 * The CA in `dir` (created when missing) and certificates for the given identities. A name that
 * is not a mesh service (e.g. "intruder") gets a certificate from the same CA with that name,
 * which tests use to prove that policies check the identity, not just the CA.
 */
export function meshPki(dir: string, trustDomain = "symphony"): MeshPki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, "ca.crt");
  const caKey = join(dir, "ca.key");
  if (!existsSync(caFile) || !existsSync(caKey)) {
    // Written under temporary names first, so a crash never leaves a CA without its key.
    openssl(["req", "-x509", ...EC, "-days", "3650", "-subj", "/CN=Symphony mesh CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
      "-keyout", `${caKey}.new`, "-out", `${caFile}.new`]);
    renameSync(`${caKey}.new`, caKey);
    renameSync(`${caFile}.new`, caFile);
  }
  return {
    dir,
    caFile,
    trustDomain,
    identity(name) {
      if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw new Error(`bad identity name ${name}`);
      const certFile = join(dir, `${name}.crt`);
      const keyFile = join(dir, `${name}.key`);
      if (!existsSync(certFile) || !existsSync(keyFile)) {
        openssl(["req", "-x509", "-CA", caFile, "-CAkey", caKey, ...EC, "-days", "825", "-subj", `/CN=${name}`,
          "-addext", `subjectAltName=URI:spiffe://${trustDomain}/${name},DNS:${name},DNS:localhost,IP:127.0.0.1`,
          "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=serverAuth,clientAuth",
          "-keyout", `${keyFile}.new`, "-out", `${certFile}.new`]);
        renameSync(`${keyFile}.new`, keyFile);
        renameSync(`${certFile}.new`, certFile);
      }
      return { caFile, certFile, keyFile, trustDomain };
    },
  };
}

/** The environment that points a process at its identity's files. */
export function meshTlsEnv(tls: MeshTls): Record<string, string> {
  return { MESH_TLS_CA_FILE: tls.caFile, MESH_TLS_CERT_FILE: tls.certFile, MESH_TLS_KEY_FILE: tls.keyFile, MESH_TRUST_DOMAIN: tls.trustDomain };
}
