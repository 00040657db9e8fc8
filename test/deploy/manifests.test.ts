// Every way of deploying the mesh (kustomize base and overlays, the Helm chart with each example
// values file) renders offline into valid Kubernetes objects that keep the hardening, mutual TLS, probes,
// scaling, wiring and network isolation the design asks for.
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IService } from "kubernetes-models/v1/Service";
import { beforeAll, describe, expect, it } from "vitest";
import {
  COMPONENT,
  containerEnv,
  ingressFor,
  localService,
  ofKind,
  portNames,
  selects,
  serviceDeployments,
  SERVICES,
  workloads,
  type ServiceName,
} from "./inspect.js";
import { validateManifest } from "./k8s-schemas.js";
import { CERT_MANAGER, HELM_VALUES, helmLint, renderings, type Manifest } from "./render.js";

// What each service must be given (services/*/src/main.ts loadConfig) and which service each *_ADDR names.
const NEEDS: Record<ServiceName, string[]> = {
  gateway: ["POD_ADDR", "KM_ADDR", "AGENT_ADDR", "OBJECTSTORE_ADDR"],
  pod: ["DATABASE_URL", "NATS_URL", "TOKEN_SIGNING_KEY_FILE"],
  keymanager: ["DATABASE_URL", "NATS_URL", "POD_ADDR", "TOKEN_SIGNING_KEY_FILE", "KM_MASTER_KEY_FILE"],
  agent: ["POD_ADDR", "KM_ADDR", "NATS_URL"],
  objectstore: ["DATABASE_URL", "NATS_URL", "POD_ADDR", "KM_ADDR"],
};
const ADDRESSED: Record<string, ServiceName> = { POD_ADDR: "pod", KM_ADDR: "keymanager", AGENT_ADDR: "agent", OBJECTSTORE_ADDR: "objectstore" };
const WITH_SCHEMA: ServiceName[] = ["pod", "keymanager", "objectstore"];
const NATS_USERS: ServiceName[] = ["pod", "keymanager", "agent", "objectstore"];
// The chart's development NATS runs without authorization.
const NATS_WITHOUT_AUTHORIZATION = ["helm values-dev.yaml"];
const AUTOSCALED: ServiceName[] = ["gateway", "agent", "pod"];
// Who may open a connection to whom (ARCHITECTURE.md): the key manager only from agent, gateway and objectstore.
const CALLERS: Record<Exclude<ServiceName, "gateway">, string[]> = {
  pod: ["gateway", "agent", "keymanager", "objectstore"],
  keymanager: ["agent", "gateway", "objectstore"],
  agent: ["gateway"],
  objectstore: ["gateway"],
};

// The mesh certificate's files and their keys in a kubernetes.io/tls Secret.
const MESH_TLS_FILES = { MESH_TLS_CA_FILE: "ca.crt", MESH_TLS_CERT_FILE: "tls.crt", MESH_TLS_KEY_FILE: "tls.key" };

const meshContainer = (d: IDeployment): IContainer => d.spec!.template.spec!.containers[0]!;

/** The Secret each service's Deployment mounts its mesh certificate from. */
function meshSecretsByIdentity(manifests: Manifest[]): Map<ServiceName, string> {
  const found = new Map<ServiceName, string>();
  for (const [name, d] of serviceDeployments(manifests)) {
    const file = containerEnv(manifests, meshContainer(d)).MESH_TLS_CERT_FILE!;
    const mount = meshContainer(d).volumeMounts!.find((m) => file.startsWith(`${m.mountPath}/`))!;
    found.set(name, d.spec!.template.spec!.volumes!.find((v) => v.name === mount.name)!.secret!.secretName!);
  }
  return found;
}
const containerPort = (c: IContainer, name: string) => c.ports?.find((p) => p.name === name)?.containerPort;

it.each(HELM_VALUES.map((file) => file ?? "default values"))("helm lint --strict passes with %s", async (file) => {
  await expect(helmLint(file === "default values" ? undefined : file)).resolves.toMatch(/0 chart\(s\) failed/);
});

it("helm lint --strict passes with cert-manager issuing the mesh certificates", async () => {
  await expect(helmLint("values-prod.yaml", CERT_MANAGER)).resolves.toMatch(/0 chart\(s\) failed/);
});

describe.each(renderings)("$name", ({ name: rendering, render }) => {
  let manifests: Manifest[];
  let services: ReturnType<typeof serviceDeployments>;
  beforeAll(async () => {
    manifests = await render();
    services = serviceDeployments(manifests);
  });

  it("renders only known kinds, each valid against its Kubernetes schema", () => {
    expect(manifests.length).toBeGreaterThan(0);
    for (const m of manifests) validateManifest(m);
  });

  it("runs every pod as non-root with a read-only root, no privileges, no API token and bounded resources", () => {
    expect(workloads(manifests).length).toBeGreaterThan(0);
    for (const { kind, name, template } of workloads(manifests)) {
      const pod = template.spec!;
      const where = `${kind} ${name}`;
      expect(pod.automountServiceAccountToken, where).toBe(false);
      expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
      expect(pod.securityContext?.runAsUser, where).toBeGreaterThan(0);
      expect(pod.securityContext?.seccompProfile?.type, where).toBe("RuntimeDefault");
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const at = `${where} container ${c.name}`;
        expect(c.securityContext?.allowPrivilegeEscalation, at).toBe(false);
        expect(c.securityContext?.readOnlyRootFilesystem, at).toBe(true);
        expect(c.securityContext?.privileged ?? false, at).toBe(false);
        expect(c.securityContext?.capabilities?.drop, at).toContain("ALL");
        expect(c.securityContext?.capabilities?.add ?? [], at).toEqual([]);
        for (const kind of ["requests", "limits"] as const) {
          expect(c.resources?.[kind]?.cpu, `${at} ${kind}.cpu`).toBeDefined();
          expect(c.resources?.[kind]?.memory, `${at} ${kind}.memory`).toBeDefined();
        }
        if (c.image?.includes("symphony-mesh")) {
          // tsx's cache and HOME live in /tmp: the only writable place.
          const tmp = c.volumeMounts?.find((m) => m.mountPath === "/tmp");
          expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir, `${at} /tmp`).toBeDefined();
        }
      }
    }
  });

  it("probes every service over plain HTTP on its metrics port (gRPC needs a client certificate) and lets it drain before SIGKILL", () => {
    expect(services.size).toBeGreaterThan(0);
    for (const [name, d] of services) {
      const c = meshContainer(d);
      const env = containerEnv(manifests, c);
      const grpcPort = Number(env.GRPC_PORT);
      expect(c.args, name).toEqual([name]);
      expect(containerPort(c, "grpc"), name).toBe(grpcPort);
      // Ready follows grpc.health.v1 (NOT_SERVING while draining); alive means the process answers.
      expect(c.startupProbe?.httpGet, `${name} startup probe`).toEqual({ path: "/readyz", port: "metrics" });
      expect(c.readinessProbe?.httpGet, `${name} readiness probe`).toEqual({ path: "/readyz", port: "metrics" });
      expect(c.livenessProbe?.httpGet, `${name} liveness probe`).toEqual({ path: "/healthz", port: "metrics" });
      for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
        expect(probe?.grpc, `${name} probe`).toBeUndefined();
        expect(probe?.httpGet?.scheme ?? "HTTP", `${name} probe`).toBe("HTTP");
      }
      const drainMs = Number(env.SHUTDOWN_DELAY_MS ?? 5_000) + Number(env.SHUTDOWN_GRACE_MS ?? 35_000);
      expect(d.spec!.template.spec!.terminationGracePeriodSeconds! * 1000, `${name} grace period`).toBeGreaterThan(drainMs);
      // A draining pod answers NOT_SERVING on purpose: liveness must not kill it before the grace period ends.
      const liveness = c.livenessProbe!;
      expect((liveness.periodSeconds ?? 10) * (liveness.failureThreshold ?? 3), `${name} liveness`).toBeGreaterThan(drainMs / 1000);
      const metricsPort = Number(env.METRICS_PORT ?? 9464);
      expect(containerPort(c, "metrics"), `${name} metrics`).toBe(metricsPort);
      // The kubelet and Prometheus reach the pod's IP, not its loopback.
      expect(env.METRICS_HOST, `${name} METRICS_HOST`).toBe("0.0.0.0");
      expect(d.spec!.template.metadata?.annotations?.["prometheus.io/port"], name).toBe(String(metricsPort));
    }
  });

  it("gives every mesh container its own service's certificate, and only mesh containers listen on all interfaces", () => {
    const secretOf = new Map<string, string>();
    let meshContainers = 0;
    for (const { kind, name, template } of workloads(manifests)) {
      const pod = template.spec!;
      for (const c of pod.containers) {
        const env = containerEnv(manifests, c);
        const where = `${kind} ${name} container ${c.name}`;
        if (!c.image?.includes("symphony-mesh")) {
          for (const variable of [...Object.keys(MESH_TLS_FILES), "MESH_TRUST_DOMAIN", "GRPC_HOST"]) expect(env[variable], `${where} ${variable}`).toBeUndefined();
          continue;
        }
        meshContainers++;
        // The service a container runs is its identity; a migration Job runs its service's code.
        const identity = c.args![0]!;
        expect(SERVICES, where).toContain(identity);
        expect(env.GRPC_HOST, `${where} GRPC_HOST`).toBe("0.0.0.0");
        expect(env.MESH_TRUST_DOMAIN, `${where} MESH_TRUST_DOMAIN`).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
        const secrets = new Set<string>();
        for (const [variable, key] of Object.entries(MESH_TLS_FILES)) {
          const file = env[variable];
          expect(file, `${where} ${variable}`).toBeTruthy();
          // A directory mount (no subPath), so that a renewed certificate reaches the running process.
          const mount = c.volumeMounts?.find((m) => file!.startsWith(`${m.mountPath}/`));
          expect(mount?.subPath, `${where} ${variable}`).toBeUndefined();
          const volume = pod.volumes?.find((v) => v.name === mount?.name)?.secret;
          expect(volume?.items?.find((i) => i.path === file!.slice(mount!.mountPath.length + 1))?.key, `${where} ${variable}`).toBe(key);
          // A migration Job makes no gRPC call and must not wait for a certificate not yet issued.
          expect(volume?.optional ?? false, `${where} ${variable} optional`).toBe(kind === "Job");
          secrets.add(volume!.secretName!);
        }
        expect([...secrets], `${where}: one Secret holds CA, certificate and key`).toHaveLength(1);
        const secret = [...secrets][0]!;
        expect(secretOf.get(identity) ?? secret, `${where}: every container of ${identity} mounts the same Secret`).toBe(secret);
        secretOf.set(identity, secret);
      }
    }
    expect(meshContainers).toBeGreaterThan(0);
    // No two identities share a certificate, and no container holds the operator's.
    expect(new Set(secretOf.values()).size, [...secretOf].join(", ")).toBe(secretOf.size);
    const operator = ofKind<ICertificate>(manifests, "Certificate").find((cert) => cert.spec!.uris?.some((u) => u.endsWith("/operator")));
    if (operator) expect([...secretOf.values()]).not.toContain(operator.spec!.secretName);
  });

  it("makes the mesh Secrets it brings valid certificates of their identity, from their CA", () => {
    const mounted = meshSecretsByIdentity(manifests);
    for (const secret of ofKind<{ type?: string; data?: Record<string, string> }>(manifests, "Secret")) {
      const identity = [...mounted].find(([, name]) => name === secret.metadata.name)?.[0];
      if (!identity) continue;
      expect(secret.type, secret.metadata.name).toBe("kubernetes.io/tls");
      const pem = (key: string) => Buffer.from(String(secret.data?.[key]).replace(/\s/g, ""), "base64").toString();
      const cert = new X509Certificate(pem("tls.crt"));
      const trustDomain = containerEnv(manifests, meshContainer(services.get(identity)!)).MESH_TRUST_DOMAIN;
      expect(cert.subjectAltName?.split(", "), secret.metadata.name).toContain(`URI:spiffe://${trustDomain}/${identity}`);
      expect(cert.verify(new X509Certificate(pem("ca.crt")).publicKey), `${secret.metadata.name} is signed by its ca.crt`).toBe(true);
      expect(cert.checkPrivateKey(createPrivateKey(pem("tls.key"))), `${secret.metadata.name} key`).toBe(true);
    }
  });

  it("issues, where cert-manager does, one Certificate per identity here with its URI SAN, Service name and usages", () => {
    const certificates = ofKind<ICertificate>(manifests, "Certificate");
    if (certificates.length === 0) return;
    const mounted = meshSecretsByIdentity(manifests);
    const trustDomain = containerEnv(manifests, meshContainer([...services.values()][0]!)).MESH_TRUST_DOMAIN;
    const byIdentity = new Map(certificates.map((cert) => [cert.spec!.uris?.[0]?.replace(`spiffe://${trustDomain}/`, ""), cert]));
    expect([...byIdentity.keys()].sort()).toEqual([...services.keys(), "operator"].sort());
    for (const [identity, cert] of byIdentity) {
      const spec = cert.spec!;
      expect(spec.uris, cert.metadata.name).toEqual([`spiffe://${trustDomain}/${identity}`]);
      expect(spec.issuerRef.name, cert.metadata.name).toBeTruthy();
      expect(spec.privateKey?.rotationPolicy, cert.metadata.name).toBe("Always");
      if (identity === "operator") {
        expect(spec.usages?.sort(), cert.metadata.name).toEqual(["client auth", "digital signature"]);
        continue;
      }
      expect(spec.usages?.sort(), cert.metadata.name).toEqual(["client auth", "digital signature", "server auth"]);
      expect(spec.secretName, `${cert.metadata.name} writes the Secret ${identity} mounts`).toBe(mounted.get(identity as ServiceName));
      const service = ofKind<IService>(manifests, "Service").find((svc) => selects(svc.spec!.selector, services.get(identity as ServiceName)!.spec!.template.metadata!.labels));
      expect(spec.dnsNames, cert.metadata.name).toContain(service!.metadata!.name);
      // Mesh clients name the server by its identity in SNI.
      expect(spec.dnsNames, cert.metadata.name).toContain(identity);
    }
  });

  it("scales gateway, agent and pod with CPU HPAs and bounds disruptions of every service", () => {
    const hpas = ofKind<IHorizontalPodAutoscaler>(manifests, "HorizontalPodAutoscaler");
    const pdbs = ofKind<IPodDisruptionBudget>(manifests, "PodDisruptionBudget");
    for (const [name, d] of services) {
      const hpa = hpas.find((h) => h.spec!.scaleTargetRef.kind === "Deployment" && h.spec!.scaleTargetRef.name === d.metadata.name);
      if (AUTOSCALED.includes(name)) {
        expect(hpa, `${name} HPA`).toBeDefined();
        expect(hpa!.spec!.metrics?.[0]?.resource?.name).toBe("cpu");
        expect(hpa!.spec!.minReplicas).toBeLessThanOrEqual(hpa!.spec!.maxReplicas);
      }
      // An HPA owns the count: a fixed replicas field would undo its work on every apply.
      if (hpa) expect(d.spec!.replicas, `${name} replicas`).toBeUndefined();
      else expect(d.spec!.replicas, `${name} replicas`).toBeGreaterThan(0);
      const labels = d.spec!.template.metadata!.labels;
      expect(pdbs.some((p) => selects(p.spec!.selector!.matchLabels, labels)), `${name} PDB`).toBe(true);
    }
    for (const hpa of hpas) {
      expect([...services.values()].map((d) => d.metadata.name), "HPA target").toContain(hpa.spec!.scaleTargetRef.name);
    }
  });

  it("wires each service to the config, Secrets and peers it needs", () => {
    for (const [name, d] of services) {
      const c = meshContainer(d);
      const pod = d.spec!.template.spec!;
      const env = containerEnv(manifests, c);
      for (const variable of NEEDS[name]) expect(env[variable], `${name} ${variable}`).toBeTruthy();
      if (env.DATABASE_URL) expect(env.DATABASE_URL, `${name} DATABASE_URL`).toMatch(/^secret:/);
      for (const [variable, value] of Object.entries(env)) {
        if (variable.endsWith("_FILE")) {
          // Mounted from a Secret as a directory (no subPath), so that updates reach the running pod.
          const mount = c.volumeMounts?.find((m) => value.startsWith(`${m.mountPath}/`));
          const volume = pod.volumes?.find((v) => v.name === mount?.name);
          expect(mount?.subPath, `${name} ${variable}`).toBeUndefined();
          expect(volume?.secret?.items?.map((i) => i.path), `${name} ${variable}`).toContain(value.slice(mount!.mountPath.length + 1));
        }
        const callee = ADDRESSED[variable];
        if (!callee || !NEEDS[name].includes(variable)) continue;
        const local = localService(manifests, value);
        const target = services.get(callee);
        if (target) {
          expect(local, `${name} ${variable}=${value}`).toBeDefined();
          expect(selects(local!.service.spec!.selector, target.spec!.template.metadata!.labels), `${name} ${variable}`).toBe(true);
          const port = local!.service.spec!.ports!.find((p) => p.port === local!.port);
          expect(port?.targetPort, `${name} ${variable} port`).toBe("grpc");
        } else {
          expect(local, `${name} ${variable}=${value} names a Service of this release, but ${callee} is not deployed here`).toBeUndefined();
        }
      }
    }
    // Wherever the rendering brings its own Secrets (dev), every reference must resolve.
    const secrets = new Set(ofKind(manifests, "Secret").map((s) => s.metadata.name));
    if (secrets.size > 0) {
      for (const { name, template } of workloads(manifests)) {
        const referenced = [
          ...(template.spec!.volumes ?? []).flatMap((v) => (v.secret?.secretName ? [v.secret.secretName] : [])),
          ...template.spec!.containers.flatMap((c) => (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name!] : []))),
        ];
        for (const secret of referenced) expect(secrets, `${name} uses Secret ${secret}`).toContain(secret);
      }
    }
  });

  it("connects every NATS user with its own NKey seed from a Secret, and with no other service's", () => {
    for (const name of NATS_USERS) {
      const d = services.get(name);
      if (!d) continue;
      const c = meshContainer(d);
      const seedFile = containerEnv(manifests, c).NATS_NKEY_SEED_FILE;
      if (NATS_WITHOUT_AUTHORIZATION.includes(rendering)) {
        expect(seedFile, name).toBeUndefined();
        continue;
      }
      const mount = c.volumeMounts?.find((m) => seedFile?.startsWith(`${m.mountPath}/`));
      const volume = d.spec!.template.spec!.volumes?.find((v) => v.name === mount?.name);
      expect(volume?.secret?.items?.map((i) => i.key), name).toEqual([`${name}.nk`]);
    }
  });

  it("exposes only the gateway, and lets only its callers reach each service (the key manager: agent, gateway, objectstore)", () => {
    for (const [name, d] of services) {
      const labels = d.spec!.template.metadata!.labels!;
      const { denyAll, rules, policies } = ingressFor(manifests, labels);
      expect(denyAll, `${name} is closed by default (policies ${policies.join(", ")})`).toBe(true);
      for (const rule of rules) {
        if (rule.from === undefined) {
          expect(name, `${rule.policy} opens ${name} to everyone`).toBe("gateway");
          expect(portNames(rule), rule.policy).toEqual(["http", "https"]);
          continue;
        }
        for (const peer of rule.from) {
          if (peer.namespaceSelector) {
            expect(portNames(rule), `${rule.policy}: other namespaces only scrape metrics`).toEqual(["metrics"]);
            expect(peer.namespaceSelector.matchLabels ?? {}, rule.policy).not.toEqual({});
          } else if (peer.podSelector) {
            expect(name, `${rule.policy} lets pods in`).not.toBe("gateway");
            expect(CALLERS[name as keyof typeof CALLERS], `${rule.policy}: who may call ${name}`).toContain(peer.podSelector.matchLabels?.[COMPONENT]);
            expect(portNames(rule), rule.policy).toEqual(["grpc"]);
          } else {
            // Calls from the other site of a split deployment.
            expect(peer.ipBlock?.cidr, rule.policy).toMatch(/\/\d+$/);
            expect(portNames(rule), rule.policy).toEqual(["grpc"]);
          }
        }
      }
      if (name === "gateway") continue;
      // Each caller that runs here can actually get through.
      const admitted = rules.flatMap((r) => (r.from ?? []).map((p) => p.podSelector?.matchLabels?.[COMPONENT]));
      for (const caller of CALLERS[name]) if (services.has(caller as ServiceName)) expect(admitted, `${caller} -> ${name}`).toContain(caller);
    }
  });

  it("lets only the services that use them reach Postgres and NATS", () => {
    const allowed: Record<string, string[]> = { postgres: ["pod", "keymanager", "objectstore", "migrate"], nats: ["pod", "keymanager", "agent", "objectstore", "nats"] };
    for (const { name, template } of workloads(manifests)) {
      const labels = template.metadata!.labels!;
      const kind = ["postgres", "nats"].find((k) => labels["app.kubernetes.io/name"] === k || labels[COMPONENT] === k);
      if (!kind) continue;
      const { denyAll, rules } = ingressFor(manifests, labels);
      expect(rules.length, `${name} has policies`).toBeGreaterThan(0);
      expect(denyAll || rules.every((r) => r.from !== undefined), name).toBe(true);
      for (const rule of rules) {
        for (const peer of rule.from ?? []) {
          if (peer.namespaceSelector) continue;
          const who = peer.podSelector?.matchLabels?.[COMPONENT] ?? peer.podSelector?.matchLabels?.["app.kubernetes.io/name"];
          expect(allowed[kind], `${rule.policy} admits ${who}`).toContain(who);
        }
      }
    }
  });

  it("migrates every schema once per rollout with a Job, or at start when there is no Job", () => {
    const jobs = workloads(manifests).filter((w) => w.kind === "Job" && w.template.metadata?.labels?.[COMPONENT] === "migrate");
    for (const name of WITH_SCHEMA) {
      const d = services.get(name);
      if (!d) continue;
      const mode = containerEnv(manifests, meshContainer(d)).DB_MIGRATE;
      const job = jobs.find((j) => j.template.spec!.containers[0]!.args?.[0] === name);
      if (jobs.length === 0) {
        expect(mode ?? "auto", name).toBe("auto");
        continue;
      }
      expect(mode, name).toBe("skip");
      expect(job, `${name} migration Job`).toBeDefined();
      const jobEnv = containerEnv(manifests, job!.template.spec!.containers[0]!);
      expect(jobEnv.DB_MIGRATE).toBe("only");
      expect(job!.template.spec!.restartPolicy).toBe("Never");
      // The same configuration as the service: each validates all of it before migrating.
      for (const variable of NEEDS[name]) expect(jobEnv[variable], `${name} Job ${variable}`).toBe(containerEnv(manifests, meshContainer(d))[variable]);
      const hook = manifests.find((m) => m.kind === "Job" && m.metadata.name === job!.name)!.metadata.annotations?.["helm.sh/hook"];
      if (hook !== undefined) expect(hook.split(",").sort()).toEqual(["pre-install", "pre-upgrade"]);
    }
  });

  it("gives every service a Service on its gRPC port, and the gateway its HTTP port", () => {
    const svcs = ofKind<IService>(manifests, "Service");
    for (const [name, d] of services) {
      const service = svcs.find((s) => selects(s.spec!.selector, d.spec!.template.metadata!.labels) && s.spec!.selector !== undefined);
      expect(service, `${name} Service`).toBeDefined();
      expect(service!.spec!.ports!.map((p) => p.targetPort)).toContain(name === "gateway" ? "http" : "grpc");
    }
  });
});
