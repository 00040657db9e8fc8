import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestNatsServer {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

const BIN = ["/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server"].find((f) => existsSync(f));

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });

/**
 * A nats-server of the test's own: random port, JetStream in a temporary directory, started
 * with `config` (e.g. an authorization block). `probe` connects a client the server accepts; it is
 * retried until the server answers.
 */
export async function startNatsServer(
  config: (dir: string) => string,
  probe: (url: string) => Promise<{ close(): Promise<void> }>,
): Promise<TestNatsServer> {
  if (!BIN) throw new Error("nats-server not found");
  const dir = mkdtempSync(join(tmpdir(), "nats-auth-"));
  const configFile = join(dir, "nats.conf");
  writeFileSync(configFile, config(dir));
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const child = spawn(BIN, ["-c", configFile, "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", join(dir, "js"), "-l", join(dir, "nats.log")], {
    stdio: "ignore",
  });
  const until = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}; see ${join(dir, "nats.log")}`);
    const nc = await probe(url).catch(() => undefined);
    if (nc) {
      await nc.close();
      break;
    }
    if (Date.now() > until) throw new Error("nats-server did not answer within 20 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dir,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
