import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

/** A self-signed certificate for the gateway's HTTPS listener on one machine (production mounts a real one). */
export function ensureSelfSignedCert(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, "tls.crt");
  const keyFile = join(dir, "tls.key");
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      execFileSync("openssl", [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "825",
        "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", keyFile, "-out", certFile,
      ], { stdio: "pipe" });
    } catch (err) {
      throw new Error(`openssl could not make a self-signed certificate in ${dir} (Debian: apt-get install openssl): ${(err as Error).message}`);
    }
  }
  return { certFile, keyFile };
}
