import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { main } from "@symphony/cli";
import { SymphonyBot } from "@symphony/sdk";
import { beforeAll, describe, expect, it } from "vitest";
import { mesh, newBot, newRoom, rsaKeyPair, validatingFetch, type TestBot } from "./harness.js";

// The operator CLI against the real mesh, over gRPC like any internal tool. main() runs in-process
// with captured output; one test runs the real bin.

const dir = mkdtempSync(join(tmpdir(), "symphony-cli-"));
const file = (content: string) => {
  const path = join(dir, randomBytes(6).toString("hex"));
  writeFileSync(path, content);
  return path;
};

/** The addresses and admin key as an operator's environment would give them. */
function cliEnv(): Record<string, string> {
  const a = mesh().grpcAddresses;
  return {
    SYMPHONY_GATEWAY_ADDR: a.gateway,
    SYMPHONY_POD_ADDR: a.pod,
    SYMPHONY_KEYMANAGER_ADDR: a.keymanager,
    SYMPHONY_AGENT_ADDR: a.agent,
    SYMPHONY_OBJECTSTORE_ADDR: a.objectstore,
    SYMPHONY_ADMIN_KEY: adminKeyFile,
    SYMPHONY_TLS_CA: mesh().meshTls.operator!.caFile,
    SYMPHONY_TLS_CERT: mesh().meshTls.operator!.certFile,
    SYMPHONY_TLS_KEY: mesh().meshTls.operator!.keyFile,
  };
}

let adminKeyFile: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { out: (t) => (stdout += t), err: (t) => (stderr += t), env: cliEnv() });
  return { code, stdout, stderr };
}

/** Runs a command with --json and returns the parsed output, failing on a non-zero exit. */
async function json<T>(...argv: string[]): Promise<T> {
  const run = await cli(...argv, "--json");
  expect(run, run.stderr).toMatchObject({ code: 0, stderr: "" });
  return JSON.parse(run.stdout) as T;
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return `127.0.0.1:${port}`;
}

interface UserDetailJson {
  userAttributes: { userName: string; currentKey?: { key: string }; previousKey?: { key: string; expirationDate: number } };
  userSystemInfo: { id: number; status: string };
  roles: string[];
}

/** A service account created through the CLI itself, with its key files. */
async function createAccount(prefix: string, roles: string[] = []) {
  const username = `${prefix}-${randomBytes(5).toString("hex")}`;
  const keys = rsaKeyPair();
  const user = await json<UserDetailJson>(
    "users", "create",
    "--username", username,
    "--email", `${username}@example.com`,
    "--display-name", `CLI ${username}`,
    "--public-key", file(keys.publicKeyPem),
    ...roles.flatMap((r) => ["--role", r]),
  );
  return { username, id: user.userSystemInfo.id, user, keyFile: file(keys.privateKeyPem), ...keys };
}

const signIn = (username: string, privateKeyPem: string) =>
  SymphonyBot.authenticate({ baseUrl: mesh().gatewayUrl, username, privateKeyPem, fetch: validatingFetch });

beforeAll(() => {
  adminKeyFile = file(mesh().adminKeyPem);
});

describe("symphony-admin health", () => {
  it("reports every service SERVING, as a table and as JSON", async () => {
    const run = await cli("health");
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^SERVICE\s+ADDRESS\s+STATUS/);
    for (const service of ["gateway", "pod", "keymanager", "agent", "objectstore"]) {
      expect(lines.find((l) => l.startsWith(`${service} `))).toMatch(new RegExp(`^${service}\\s+${mesh().grpcAddresses[service as "pod"]}\\s+SERVING$`));
    }
    const health = await json<{ service: string; status: string }[]>("health");
    expect(health.map((h) => h.status)).toEqual(["SERVING", "SERVING", "SERVING", "SERVING", "SERVING"]);
  });

  it("the bin runs as a real process", async () => {
    const bin = fileURLToPath(new URL("../../packages/cli/bin/symphony-admin.js", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, "health", "pod", "agent", "--json"], {
      env: { ...process.env, ...cliEnv() },
    });
    expect(JSON.parse(stdout)).toEqual([
      { service: "pod", address: mesh().grpcAddresses.pod, status: "SERVING" },
      { service: "agent", address: mesh().grpcAddresses.agent, status: "SERVING" },
    ]);
  });

  it("exits 1 when part of the mesh is unreachable and 3 when all of it is", async () => {
    const down = await closedPort();
    const partial = await cli("health", "--objectstore", down);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(new RegExp(`objectstore\\s+${down}\\s+UNREACHABLE`));

    const all = await cli("health", "--gateway", down, "--pod", down, "--keymanager", down, "--agent", down, "--objectstore", down);
    expect(all.code).toBe(3);
  });
});

describe("symphony-admin users", () => {
  it("creates a service account whose key authenticates through the gateway, disables and enables it", async () => {
    const account = await createAccount("cli-user");
    expect(account.user).toMatchObject({ userAttributes: { userName: account.username }, userSystemInfo: { status: "ENABLED" }, roles: ["INDIVIDUAL"] });
    await signIn(account.username, account.privateKeyPem);

    expect(await cli("users", "disable", String(account.id))).toMatchObject({ code: 0, stdout: `user ${account.id} is DISABLED\n` });
    await expect(signIn(account.username, account.privateKeyPem)).rejects.toThrow();
    expect((await json<UserDetailJson>("users", "show", String(account.id))).userSystemInfo.status).toBe("DISABLED");

    expect(await json("users", "enable", String(account.id))).toEqual({ id: account.id, status: "ENABLED" });
    await signIn(account.username, account.privateKeyPem);
  });

  it("rotates a user's key: the new key signs in, the old one stays valid during the grace period", async () => {
    const account = await createAccount("cli-keys");
    const next = rsaKeyPair();
    const run = await cli("users", "keys", "set", String(account.id), "--public-key", file(next.publicKeyPem));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^current key:\s+SHA256:\S+$/m);
    expect(run.stdout).toMatch(/^previous key:\s+SHA256:\S+ \(valid until \d{4}-/m);

    const shown = await json<UserDetailJson>("users", "show", String(account.id));
    expect(shown.userAttributes.currentKey?.key).toBe(next.publicKeyPem);
    expect(shown.userAttributes.previousKey?.key).toBe(account.publicKeyPem);
    const bot = await signIn(account.username, next.privateKeyPem);
    expect(await bot.userId()).toBe(account.id);
    await signIn(account.username, account.privateKeyPem);
  });

  it("lists users as a table and as JSON", async () => {
    const account = await createAccount("cli-list");
    const users = await json<UserDetailJson[]>("users", "list", "--limit", "1000");
    expect(users.find((u) => u.userSystemInfo.id === account.id)?.userAttributes.userName).toBe(account.username);
    const table = await cli("users", "list", "--limit", "1000");
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+USERNAME\s+DISPLAY NAME\s+EMAIL\s+TYPE\s+STATUS\s+ROLES$/);
    expect(table.stdout).toMatch(new RegExp(`^${account.id}\\s+${account.username}\\s+CLI ${account.username}\\s+\\S+\\s+SYSTEM\\s+ENABLED\\s+INDIVIDUAL$`, "m"));
  });
});

describe("symphony-admin streams", () => {
  let alice: TestBot;
  let bob: TestBot;
  let roomId: string;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([newBot("alice"), newBot("bob")]);
    roomId = await newRoom(alice.bot, [bob]);
  });

  interface AdminStreams {
    count: number;
    streams: { id: string; type: string; isActive: boolean; attributes: { membersCount: number; createdByUserId: number } }[];
  }

  it("lists every stream of the pod, and a user's streams", async () => {
    const all = await json<AdminStreams>("streams", "list", "--type", "ROOM", "--limit", "100");
    expect(all.streams.every((s) => s.type === "ROOM")).toBe(true);
    expect(all.streams.find((s) => s.id === roomId)).toMatchObject({ isActive: true, attributes: { membersCount: 2, createdByUserId: alice.userId } });
    expect(all.count).toBeGreaterThanOrEqual(all.streams.length);

    const mine = await json<{ id: string; streamType: { type: string } }[]>("streams", "list", "--user", String(bob.userId));
    expect(mine).toEqual([expect.objectContaining({ id: roomId, streamType: { type: "ROOM" } })]);
    const table = await cli("streams", "list", "--user", String(bob.userId));
    expect(table.stdout).toMatch(new RegExp(`^${roomId.replace(/[-_]/g, "\\$&")}\\s+ROOM\\s+true\\s+room `, "m"));
  });

  it("lists the members of a stream", async () => {
    const page = await json<{ count: number; members: { user: { userId: number }; isOwner: boolean; isCreator: boolean }[] }>("streams", "members", roomId);
    expect(page.count).toBe(2);
    expect(page.members).toEqual([
      expect.objectContaining({ user: expect.objectContaining({ userId: alice.userId }), isOwner: true, isCreator: true }),
      expect.objectContaining({ user: expect.objectContaining({ userId: bob.userId }), isOwner: false, isCreator: false }),
    ]);
    expect((await cli("streams", "members", roomId)).stdout.split("\n")[0]).toMatch(/^USER ID\s+DISPLAY NAME\s+EMAIL\s+OWNER\s+CREATOR\s+JOINED$/);
  });

  it("rotates a stream key as an administrator, and the audit shows it", async () => {
    await alice.bot.sendMessage(roomId, "<messageML>before rotation</messageML>");
    const operator = await createAccount("cli-keyadmin", ["ADMINISTRATOR"]);
    const as = ["--admin-user", operator.username, "--key", operator.keyFile];

    expect(await json("keys", "rotate", roomId, ...as)).toEqual({ streamId: roomId, rotationId: 2 });
    const entries = await json<{ userId: number; streamId: string; action: string; decision: string; rotationId?: number }[]>("audit", "--stream", roomId, ...as);
    expect(entries).toContainEqual(expect.objectContaining({ userId: operator.id, action: "ROTATE", decision: "ROTATED", rotationId: 2 }));
    expect(entries).toContainEqual(expect.objectContaining({ userId: alice.userId, action: "RELEASE", decision: "RELEASED", rotationId: 1 }));
    const byAlice = await json<{ userId: number }[]>("audit", "--user", String(alice.userId), "--limit", "5", ...as);
    expect(byAlice.length).toBeGreaterThan(0);
    expect(byAlice.every((e) => e.userId === alice.userId)).toBe(true);
    expect((await cli("audit", "--stream", roomId, ...as)).stdout).toMatch(/ROTATE\s+ROTATED/);

    const status = await json<{ currentVersion: number; loadedVersions: number[] }>("masterkey", "status", ...as);
    expect(status.loadedVersions).toContain(status.currentVersion);
    const reloaded = await json<{ currentVersion: number }>("masterkey", "reload", ...as);
    expect(reloaded.currentVersion).toBeGreaterThanOrEqual(status.currentVersion);
  });

  it("refuses callers without the role, with exit code 1 and the gRPC status", async () => {
    // The bootstrap admin provisions users; it neither owns the room nor administers keys.
    const refused = await cli("keys", "rotate", roomId);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/^error: PERMISSION_DENIED: .+ \(keymanager at [\d.:]+\)\n$/);

    const individual = await createAccount("cli-nobody");
    const asIndividual = await cli("users", "list", "--admin-user", individual.username, "--key", individual.keyFile);
    expect(asIndividual.code).toBe(1);
    expect(asIndividual.stderr).toMatch(/^error: PERMISSION_DENIED: /);

    const wrongKey = await cli("users", "list", "--key", individual.keyFile);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/^error: UNAUTHENTICATED: .+ \(pod at [\d.:]+, signing in as admin\)\n$/);
  });
});

describe("symphony-admin datafeeds", () => {
  it("lists and deletes another user's datafeed", async () => {
    const bot = await newBot("feeder");
    const { id } = await bot.bot.call<{ id: string }>("POST", "/agent/v5/datafeeds", {});

    expect(await json("datafeeds", "list", "--user", String(bot.userId))).toEqual([{ id, createdAt: expect.any(Number), api: "v5" }]);
    expect(await cli("datafeeds", "delete", "--user", String(bot.userId), id)).toMatchObject({ code: 0, stdout: `deleted datafeed ${id} of user ${bot.userId}\n` });
    expect(await json("datafeeds", "list", "--user", String(bot.userId))).toEqual([]);
    expect(await bot.bot.call("GET", "/agent/v5/datafeeds")).toEqual([]);

    const again = await cli("datafeeds", "delete", "--user", String(bot.userId), id);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: NOT_FOUND: /);
  });

  it("is only for super administrators and user provisioning", async () => {
    const bot = await newBot("feeder");
    const keyAdmin = await createAccount("cli-feedadmin", ["ADMINISTRATOR"]);
    const refused = await cli("datafeeds", "list", "--user", String(bot.userId), "--admin-user", keyAdmin.username, "--key", keyAdmin.keyFile);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: PERMISSION_DENIED: .+ \(agent at [\d.:]+\)\n$/);
  });
});

describe("symphony-admin usage and failures", () => {
  it("exits 2 with a message and the command's usage for bad command lines", async () => {
    const cases: [string[], RegExp][] = [
      [[], /^error: no command given\n/],
      [["frobnicate"], /^error: unknown command "frobnicate"\n/],
      [["users", "frob"], /^error: unknown command "users frob"; "users" takes one of: create, /],
      [["users", "create", "--username", "x"], /^error: --email is required\n/],
      [["users", "show"], /^error: missing argument\nusage: symphony-admin users show ID\n$/],
      [["users", "show", "abc"], /^error: a user id must be a positive integer, not "abc"\n/],
      [["users", "show", "1", "2"], /^error: unexpected argument "2"\n/],
      [["users", "list", "--bogus"], /^error: Unknown option '--bogus'/],
      [["health", "mailserver"], /^error: unknown service "mailserver"/],
      [["users", "keys", "set", "1", "--public-key", join(dir, "missing.pem")], /^error: cannot read public key /],
      [["users", "list", "--key", join(dir, "missing.pem")], /^error: cannot read the admin key /],
    ];
    for (const [argv, stderr] of cases) {
      const run = await cli(...argv);
      expect({ argv, code: run.code, stdout: run.stdout }).toEqual({ argv, code: 2, stdout: "" });
      expect(run.stderr).toMatch(stderr);
    }
  });

  it("prints help on stdout with exit 0", async () => {
    const help = await cli("help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: symphony-admin /);
    expect(help.stdout).toContain("datafeeds delete --user ID FEED_ID");
    expect(await cli("users", "create", "--help")).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: symphony-admin users create --username NAME/) });
  });

  it("exits 3 when the service a command needs is unreachable", async () => {
    const down = await closedPort();
    const run = await cli("users", "list", "--pod", down);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^error: UNAVAILABLE: .+ \\(pod at ${down}, signing in as admin\\)\\n$`));
  });
});
