// Offline validation of rendered objects against the Kubernetes OpenAPI schemas (kubernetes-models)
// and cert-manager's CRD schemas (@kubernetes-models/cert-manager).
import { Certificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import { Issuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { Manifest } from "./render.js";

interface Validatable {
  validate(): void;
}

// Every kind the manifests may contain; anything else is a mistake until it is added here.
const MODELS: Record<string, new (data: never) => Validatable> = {
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "batch/v1/Job": Job,
  "cert-manager.io/v1/Certificate": Certificate,
  "cert-manager.io/v1/Issuer": Issuer,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
};

// kubectl kustomize folds long base64 Secret data over several lines; the API server's decoder
// skips those line breaks, the schema's "byte" format does not.
function asDecoded(m: Manifest): Manifest {
  if (m.kind !== "Secret" || typeof m.data !== "object" || m.data === null) return m;
  const data = Object.fromEntries(Object.entries(m.data).map(([k, v]) => [k, String(v).replace(/[\r\n]/g, "")]));
  return { ...m, data };
}

/** Throws, naming the object, when its kind is unknown or it breaks the schema of its kind. */
export function validateManifest(m: Manifest): void {
  const where = `${m.kind} ${m.metadata?.name}`;
  const Model = MODELS[`${m.apiVersion}/${m.kind}`];
  if (!Model) throw new Error(`${where}: no schema for ${m.apiVersion} ${m.kind}; add its kubernetes-models class`);
  try {
    new Model(asDecoded(m) as never).validate();
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}
