import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });

/** A certificate authority for client certificates, as a pod operator would configure. */
export function makeClientCa(dir: string): { certFile: string; keyFile: string } {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, "ca.crt");
  const keyFile = join(dir, "ca.key");
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Symphony test client CA", "-keyout", keyFile, "-out", certFile]);
  return { certFile, keyFile };
}

/** A client certificate whose common name is `cn`, signed by the CA. */
export function clientCertificate(dir: string, cn: string, ca: { certFile: string; keyFile: string }): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, `${cn}.key`);
  const csr = join(dir, `${cn}.csr`);
  const cert = join(dir, `${cn}.crt`);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-keyout", key, "-out", csr]);
  openssl(["x509", "-req", "-in", csr, "-CA", ca.certFile, "-CAkey", ca.keyFile, "-CAcreateserial", "-days", "1", "-out", cert]);
  return { cert, key };
}
