// The chart refuses bad values before anything reaches a cluster (values.schema.json and the
// templates' own checks), and its two-release split puts each service on the right site.
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { describe, expect, it } from "vitest";
import { containerEnv, ofKind, serviceDeployments } from "./inspect.js";
import { CERT_MANAGER, helmLint, helmTemplate } from "./render.js";

describe("values the chart rejects", () => {
  it.each([
    ["a wrong type", ["gateway.replicas=many"], /gateway\/replicas.*want integer/],
    ["a wrong type in a nested field", ["networkPolicy.enabled=maybe"], /networkPolicy\/enabled.*want boolean/],
    ["a missing image repository", ["image.repository=null"], /image.*repository/],
    ["an empty image repository", ["image.repository="], /image\/repository/],
    ["a missing database URL Secret", ["database.urlSecret.name=null"], /urlSecret.*name/],
    ["an unknown field", ["replica=3"], /replica/],
    ["an Ingress without a host", ["ingress.enabled=true", "ingress.tlsSecretName=tls"], /ingress\/host/],
    ["an Ingress without TLS", ["ingress.enabled=true", "ingress.host=symphony.example.com"], /ingress\/tlsSecretName/],
    ["an unknown migration mode", ["migrations.mode=sometimes"], /migrations\/mode/],
    ["a remote address that is not host:port", ["components.pod=false", "remote.podAddr=pod.example.com"], /remote\/podAddr/],
    ["a plaintext switch: mutual TLS cannot be turned off", ["meshTls.enabled=false"], /meshTls/],
    ["cert-manager without an issuer", ["meshTls.certManager.enabled=true"], /meshTls\/certManager\/issuerRef\/name/],
    ["a mesh Secret without a name", ["meshTls.secrets.agent="], /meshTls\/secrets\/agent/],
  ])("%s, in helm template and helm lint", async (_, sets, message) => {
    await expect(helmTemplate(undefined, sets)).rejects.toThrow(message);
    await expect(helmLint(undefined, sets)).rejects.toThrow(message);
  });

  it.each([
    ["a disabled component without its remote address", ["components.keymanager=false"], /remote.keymanagerAddr is required: components.keymanager is false and agent, gateway, objectstore call\(s\) it/],
    ["the chart's dev Postgres with a pre-install migration hook", ["dev.postgres.enabled=true"], /dev.postgres needs migrations.mode=startup/],
    ["a grace period shorter than the drain", ["terminationGracePeriodSeconds=30"], /shorter than terminationGracePeriodSeconds/],
    ["more minimum than maximum replicas", ["agent.autoscaling.minReplicas=12"], /agent.autoscaling.minReplicas must not exceed maxReplicas/],
  ])("%s", async (_, sets, message) => {
    await expect(helmTemplate(undefined, sets)).rejects.toThrow(message);
  });
});

describe("mesh certificates", () => {
  it("follow renamed Secrets and another trust domain into mounts, environment and Certificates", async () => {
    const manifests = await helmTemplate(undefined, [...CERT_MANAGER, "meshTls.trustDomain=mesh.example.org", "meshTls.secrets.pod=pod-identity"]);
    const pod = serviceDeployments(manifests).get("pod")!.spec!.template.spec!;
    expect(pod.volumes!.find((v) => v.name === "mesh-tls")!.secret!.secretName).toBe("pod-identity");
    expect(containerEnv(manifests, pod.containers[0]!).MESH_TRUST_DOMAIN).toBe("mesh.example.org");
    const certificate = ofKind<ICertificate>(manifests, "Certificate").find((c) => c.spec!.secretName === "pod-identity")!;
    expect(certificate.spec!.uris).toEqual(["spiffe://mesh.example.org/pod"]);
    expect(certificate.spec!.dnsNames).toEqual(["pod", "symphony-pod", "symphony-pod.symphony.svc", "symphony-pod.symphony.svc.cluster.local"]);
  });

  it("are referenced, not made, unless cert-manager or the development PKI makes them", async () => {
    const manifests = await helmTemplate("values-prod.yaml");
    expect(ofKind(manifests, "Certificate")).toEqual([]);
    expect(ofKind(manifests, "Secret")).toEqual([]);
  });
});

describe("the on-premise split: two releases of one chart", () => {
  it("runs the agent and key manager on premises, calling the cloud pod at remote.podAddr", async () => {
    const manifests = await helmTemplate("values-onprem.yaml");
    const services = serviceDeployments(manifests);
    expect([...services.keys()].sort()).toEqual(["agent", "keymanager"]);
    for (const name of ["agent", "keymanager"] as const) {
      const env = containerEnv(manifests, services.get(name)!.spec!.template.spec!.containers[0]!);
      expect(env.POD_ADDR).toBe("symphony-pod.cloud.example.internal:9101");
    }
    expect(containerEnv(manifests, services.get("agent")!.spec!.template.spec!.containers[0]!).KM_ADDR).toBe("symphony-keymanager:9102");
    // Only the key manager's schema is migrated here; the master key Secret is mounted only here.
    const jobs = ofKind<IDeployment>(manifests, "Job").map((j) => j.spec!.template.spec!.containers[0]!.args?.[0]);
    expect(jobs).toEqual(["keymanager"]);
  });

  it("runs gateway, pod and object store in the cloud, reaching agent and key manager on premises", async () => {
    const manifests = await helmTemplate("values-cloud.yaml");
    const services = serviceDeployments(manifests);
    expect([...services.keys()].sort()).toEqual(["gateway", "objectstore", "pod"]);
    const gateway = containerEnv(manifests, services.get("gateway")!.spec!.template.spec!.containers[0]!);
    expect(gateway.KM_ADDR).toBe("symphony-km.onprem.example.internal:9102");
    expect(gateway.AGENT_ADDR).toBe("symphony-agent.onprem.example.internal:9103");
    expect(gateway.POD_ADDR).toBe("symphony-pod:9101");
    const volumes = [...services.values()].flatMap((d) => d.spec!.template.spec!.volumes ?? []).map((v) => v.secret?.secretName);
    expect(volumes).not.toContain("symphony-km-master-key");
    // The on-premise agent and key manager call the pod across the private link.
    const podPolicy = ofKind<INetworkPolicy>(manifests, "NetworkPolicy").find((p) => p.metadata.name === "symphony-pod")!;
    expect(podPolicy.spec!.ingress![0]!.from!.map((peer) => peer.ipBlock?.cidr).filter(Boolean)).toEqual(["10.20.0.0/16"]);
  });
});
