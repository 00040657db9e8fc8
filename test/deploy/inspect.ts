// Reading rendered manifests the way the cluster would: pod templates of workloads, the effective
// environment of a container, label selectors and the ingress rules that apply to a pod.
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { INetworkPolicyPort } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import type { IService } from "kubernetes-models/v1/Service";
import type { Manifest } from "./render.js";

export const SERVICES = ["gateway", "pod", "keymanager", "agent", "objectstore"] as const;
export type ServiceName = (typeof SERVICES)[number];

export const COMPONENT = "app.kubernetes.io/component";

export const ofKind = <T>(manifests: Manifest[], kind: string): (Manifest & T)[] =>
  manifests.filter((m) => m.kind === kind) as (Manifest & T)[];

export interface Workload {
  kind: string;
  name: string;
  template: IPodTemplateSpec;
}

/** Every pod template: Deployments, StatefulSets and Jobs. */
export function workloads(manifests: Manifest[]): Workload[] {
  return manifests
    .filter((m) => ["Deployment", "StatefulSet", "Job"].includes(m.kind))
    .map((m) => ({ kind: m.kind, name: m.metadata.name, template: (m as unknown as IDeployment).spec!.template }));
}

/** The mesh's service Deployments, by the component they run. */
export function serviceDeployments(manifests: Manifest[]): Map<ServiceName, Manifest & IDeployment> {
  const found = new Map<ServiceName, Manifest & IDeployment>();
  for (const d of ofKind<IDeployment>(manifests, "Deployment")) {
    const component = d.spec!.template.metadata?.labels?.[COMPONENT];
    if (SERVICES.includes(component as ServiceName)) found.set(component as ServiceName, d);
  }
  return found;
}

export const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

/** A container's environment as the kubelet builds it: ConfigMaps from envFrom, then env; Secret refs as "secret:<name>/<key>". */
export function containerEnv(manifests: Manifest[], container: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const name = from.configMapRef?.name;
    const cm = manifests.find((m) => m.kind === "ConfigMap" && m.metadata.name === name) as { data?: Record<string, string> } | undefined;
    if (!cm) throw new Error(`container ${container.name} reads ConfigMap ${name}, which is not rendered`);
    Object.assign(env, cm.data);
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref ? `secret:${ref.name}/${ref.key}` : (e.value ?? "");
  }
  return env;
}

/** The Service and port that a host:port names inside the namespace, if any. */
export function localService(manifests: Manifest[], address: string): { service: IService; port: number } | undefined {
  const [host, port] = address.split(":");
  const service = ofKind<IService>(manifests, "Service").find((s) => s.metadata.name === host);
  return service && { service, port: Number(port) };
}

export interface IngressRule {
  policy: string;
  /** undefined: from anywhere. */
  from?: INetworkPolicyPeer[];
  ports?: INetworkPolicyPort[];
}

/** The NetworkPolicies that select a pod, and the union of their ingress rules. */
export function ingressFor(manifests: Manifest[], podLabels: Record<string, string>): { policies: string[]; denyAll: boolean; rules: IngressRule[] } {
  const policies = ofKind<INetworkPolicy>(manifests, "NetworkPolicy").filter(
    (p) => p.spec?.policyTypes?.includes("Ingress") && selects(p.spec.podSelector?.matchLabels, podLabels),
  );
  return {
    policies: policies.map((p) => p.metadata.name),
    denyAll: policies.some((p) => (p.spec?.ingress ?? []).length === 0),
    rules: policies.flatMap((p) => (p.spec?.ingress ?? []).map((r) => ({ policy: p.metadata.name, from: r.from, ports: r.ports }))),
  };
}

export const portNames = (rule: IngressRule): (string | number)[] => (rule.ports ?? []).map((p) => p.port ?? "any");
