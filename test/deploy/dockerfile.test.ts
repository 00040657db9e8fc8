// Static checks of the image definition (no Docker engine needed): production dependencies only,
// a non-root user, writes only below /tmp, every workspace installed, services started the way
// scripts/mesh.ts starts them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "./render.js";
import { SERVICES } from "./inspect.js";

const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
const stages = dockerfile.split(/^FROM /m).slice(1);
const finalStage = stages.at(-1)!;

describe("Dockerfile", () => {
  it("builds in stages from Node 22 LTS slim and installs production dependencies from the lockfile", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-[a-z]+-slim$/m);
    const install = dockerfile.match(/npm ci[^\n]*/)?.[0];
    expect(install).toContain("--omit=dev");
  });

  it("copies the manifest of every workspace before installing", () => {
    const workspaces = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: string[] }).workspaces;
    const dirs = workspaces.flatMap((glob) => {
      const parent = glob.replace(/\/\*$/, "");
      return readdirSync(join(root, parent), { withFileTypes: true })
        .filter((e) => e.isDirectory() && readdirSync(join(root, parent, e.name)).includes("package.json"))
        .map((e) => `${parent}/${e.name}`);
    });
    expect(dirs.length).toBeGreaterThan(0);
    for (const dir of dirs) expect(stages[0], dir).toContain(`COPY ${dir}/package.json ${dir}/`);
  });

  it("runs as a numeric non-root user with HOME and TMPDIR on /tmp", () => {
    const user = finalStage.match(/^USER (\S+)$/m)?.[1];
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(finalStage).toMatch(/HOME=\/tmp\b/);
    expect(finalStage).toMatch(/TMPDIR=\/tmp\b/);
  });

  it("starts each service as scripts/mesh.ts does, and anything else (symphony-admin) as given", () => {
    const mesh = readFileSync(join(root, "scripts", "mesh.ts"), "utf8");
    expect(mesh).toContain('"--conditions=source", "--import", "tsx", "--import", "@symphony/kit/instrument", `services/${service}/src/main.ts`');
    expect(finalStage).toContain('exec node --import tsx --import @symphony/kit/instrument "services/$service/src/main.ts"');
    expect(finalStage).toContain(`  ${[...SERVICES].join("|")})`);
    expect(finalStage).toMatch(/\*\)\n\s+exec "\$@"/);
    expect(finalStage).toContain("PATH=/app/node_modules/.bin:");
    expect(finalStage).toContain("NODE_OPTIONS=--conditions=source");
  });

  it("keeps secrets, history and dependencies out of the build context", () => {
    const ignore = readFileSync(join(root, ".dockerignore"), "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
    expect(ignore[0]).toBe("*");
    expect(ignore).toContain("**/node_modules");
    expect(ignore.filter((l) => l.startsWith("!")).sort()).toEqual(["!package-lock.json", "!package.json", "!packages", "!services"]);
  });
});
