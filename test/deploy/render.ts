// Renders the Kubernetes manifests offline, the way an operator would: `kubectl kustomize` for the
// base and overlays, `helm template` for the chart with each example values file.
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { ensureDevMeshTls } from "../../scripts/dev-mesh-tls.js";
import { helmBinary, kubectlBinary } from "../../scripts/helm.js";
import { DEFAULT_NATS_NAMES, ensureNatsCredentials } from "../../scripts/nats-auth.js";
import { ensureSecrets } from "../../scripts/secrets.js";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const k8sDir = join(root, "deploy", "k8s");
export const chartDir = join(k8sDir, "helm", "symphony-mesh");
const devSecretsDir = join(k8sDir, "overlays", "dev", "secrets");

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

const exec = promisify(execFile);

/** Runs a command; a non-zero exit rejects with its output in the message. */
export async function run(command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec(command, args, { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    // helm lint reports the failing values on stdout, helm template on stderr.
    const { stdout, stderr, message } = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${[stderr, stdout].filter(Boolean).join("\n") || message}`);
  }
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw doc.errors[0];
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

export async function kustomize(overlay: string): Promise<Manifest[]> {
  // The dev overlay's secretGenerator reads git-ignored key files; make them as a developer would.
  if (overlay === "overlays/dev") {
    ensureSecrets(devSecretsDir);
    ensureNatsCredentials(join(devSecretsDir, "nats"), DEFAULT_NATS_NAMES);
    ensureDevMeshTls(devSecretsDir);
  }
  return parseManifests(await run(kubectlBinary(), ["kustomize", join(k8sDir, overlay)]));
}

const valuesArgs = (valuesFile: string | undefined, sets: string[], files: string[] = []) => [
  ...(valuesFile ? ["-f", join(chartDir, valuesFile)] : []),
  ...files.flatMap((f) => ["-f", f]),
  ...sets.flatMap((s) => ["--set", s]),
];

/** helm template with an example values file, --set values and more values files (absolute paths). */
export async function helmTemplate(valuesFile?: string, sets: string[] = [], files: string[] = []): Promise<Manifest[]> {
  return parseManifests(await run(helmBinary(), ["template", "symphony", chartDir, "--namespace", "symphony", ...valuesArgs(valuesFile, sets, files)]));
}

/** The dev mesh PKI as Helm values (dev.secrets.meshTls), made as a developer would. */
export function devMeshTlsValues(): string {
  ensureSecrets(devSecretsDir);
  return ensureDevMeshTls(devSecretsDir).helmValuesFile;
}

/** Values that let cert-manager issue the mesh certificates. */
export const CERT_MANAGER = ["meshTls.certManager.enabled=true", "meshTls.certManager.issuerRef.name=symphony-mesh-ca"];

export async function helmLint(valuesFile?: string, sets: string[] = []): Promise<string> {
  return run(helmBinary(), ["lint", "--strict", chartDir, ...valuesArgs(valuesFile, sets)]);
}

export interface Rendering {
  name: string;
  render: () => Promise<Manifest[]>;
}

export const HELM_VALUES = [undefined, "values-dev.yaml", "values-prod.yaml", "values-onprem.yaml", "values-cloud.yaml"] as const;

export const renderings: Rendering[] = [
  ...(["base", "overlays/dev", "overlays/prod", "overlays/cert-manager"] as const).map((dir) => ({ name: `kustomize ${dir}`, render: () => kustomize(dir) })),
  // Development installs pass the generated mesh PKI (docs/deploy.md); the other examples reference Secrets.
  ...HELM_VALUES.map((file) => ({
    name: `helm ${file ?? "default values"}`,
    render: () => helmTemplate(file, [], file === "values-dev.yaml" ? [devMeshTlsValues()] : []),
  })),
  { name: "helm values-prod.yaml with cert-manager", render: () => helmTemplate("values-prod.yaml", CERT_MANAGER) },
  { name: "helm values-cloud.yaml with cert-manager", render: () => helmTemplate("values-cloud.yaml", CERT_MANAGER) },
  {
    name: "helm with HTTPS and client certificates in the gateway",
    render: () => helmTemplate("values-prod.yaml", ["secrets.gatewayTls.name=symphony-gateway-tls", "secrets.gatewayClientCa.name=symphony-client-ca"]),
  },
];
