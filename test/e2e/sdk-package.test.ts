import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { mesh, newBot } from "./harness.js";

// What a user of the published SDK gets: the tarballs `npm pack` makes, installed into an empty
// project and run by plain node, with no TypeScript loader and none of the repository around.

const run = promisify(execFile);
const packages = fileURLToPath(new URL("../../packages/", import.meta.url));
// The repository's .npmrc makes npm run workspaces from sources; a user's node has no such condition.
const { NODE_OPTIONS: _repositoryConditions, ...plainEnv } = process.env;

async function pack(name: string, into: string): Promise<string> {
  const { stdout } = await run("npm", ["pack", "--pack-destination", into, "--silent"], { cwd: join(packages, name), env: plainEnv });
  return join(into, stdout.trim().split("\n").at(-1)!);
}

describe("the packed SDK", () => {
  it("installs into a fresh project and runs the example bot with plain node", { timeout: 180_000 }, async () => {
    const tarballs = mkdtempSync(join(tmpdir(), "symphony-pack-"));
    const codec = await pack("codec", tarballs);
    const sdk = await pack("sdk", tarballs);

    const project = mkdtempSync(join(tmpdir(), "symphony-user-"));
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "my-bot", private: true, type: "module" }));
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", codec, sdk], { cwd: project, env: plainEnv });
    const installed = readdirSync(join(project, "node_modules", "@symphony", "sdk"));
    expect(installed).toEqual(expect.arrayContaining(["dist", "LICENSE", "README.md", "package.json"]));
    expect(installed).not.toContain("src");

    const { username, privateKeyPem } = await newBot("packed");
    const key = join(project, "bot.pem");
    writeFileSync(key, privateKeyPem);
    const example = join(project, "echo-bot.mjs");
    copyFileSync(join(packages, "sdk", "examples", "echo-bot.mjs"), example);
    const { stdout } = await run(process.execPath, [example], {
      cwd: project,
      env: { ...plainEnv, SYMPHONY_URL: mesh().gatewayUrl, BOT_USERNAME: username, BOT_KEY: key },
    });
    expect(JSON.parse(stdout)).toMatchObject({ streamId: expect.any(String), message: expect.stringContaining("Hello, <b>world</b>") });
  });
});
