import type { Command } from "./command.js";
import { ADMIN_KEY_ENV, ADMIN_USER_ENV, addressEnv, defaultAddress, SERVICES, TLS_ENV } from "./config.js";

const aligned = (rows: (readonly [string, string])[]) => {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
};

export function generalUsage(commands: Command[]): string {
  return [
    "usage: symphony-admin [global options] COMMAND [options]",
    "",
    "Operator CLI of the Symphony mesh: talks gRPC straight to the services, signed in as an admin",
    "service account with its RSA key, like a bot.",
    "",
    "Commands:",
    ...commands.flatMap((c) => [`  ${[...c.path, c.synopsis].filter(Boolean).join(" ")}`, `      ${c.summary}`]),
    "",
    "Global options:",
    ...aligned([
      ...SERVICES.map((s) => [`--${s} ADDR`, `${s} gRPC address (${addressEnv(s)}, default ${defaultAddress(s)})`] as const),
      ["--admin-user NAME", `admin service account to sign in as (${ADMIN_USER_ENV}, default admin)`],
      ["--key FILE", `its RSA private key, PEM (${ADMIN_KEY_ENV})`],
      ["--tls-ca FILE", `the mesh CA certificate (${TLS_ENV.ca}, default .data/keys/mesh-tls/ca.crt)`],
      ["--tls-cert FILE", `the operator's mesh certificate (${TLS_ENV.cert}, default .data/keys/mesh-tls/operator.crt)`],
      ["--tls-key FILE", `its private key (${TLS_ENV.key}, default .data/keys/mesh-tls/operator.key)`],
      ["--json", "print JSON for scripts instead of tables"],
      ["-h, --help", "this text, or a command's usage"],
    ]),
    "",
    "Exit codes:",
    ...aligned([
      ["0", "success"],
      ["1", "the server refused or failed (health: some service is not SERVING)"],
      ["2", "usage error"],
      ["3", "a service is unreachable (health: none is reachable)"],
    ]),
  ].join("\n");
}
