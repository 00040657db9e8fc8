import { readFileSync } from "node:fs";
import { Client, credentials, Metadata, status, type ChannelCredentials, type ServiceError } from "@grpc/grpc-js";
import { channelCredentials, channelOptions, metadataOf, type MeshTls } from "@symphony/kit";
import { Credential, METADATA, METHOD_POLICIES, PEER_NAMES, type PeerName } from "@symphony/proto/contracts";
import { StoreMessageRequest } from "@symphony/proto/pod/v1/pod_service";
import { describe, expect, it } from "vitest";
import { mesh, newBot, newRoom } from "./harness.js";

// Calls straight to the services' gRPC ports, as anything that reaches them on the network can
// (issue 13): only the mesh certificate decides who is calling, never metadata.

type Service = keyof ReturnType<typeof mesh>["grpcAddresses"];

/** The service that serves a gRPC path: symphony.<service>.v1. */
const serviceOf = (path: string) => path.split(".")[1] as Exclude<Service, "gateway">;

const tlsOf = (identity: string): MeshTls => {
  const tls = mesh().meshTls[identity];
  if (!tls) throw new Error(`the e2e mesh has no certificate for ${identity}`);
  return tls;
};

const clients = new Map<string, Client>();
function clientAs(identity: string, service: Service): Client {
  const key = `${identity}→${service}`;
  let client = clients.get(key);
  if (!client) {
    client = new Client(mesh().grpcAddresses[service], channelCredentials(tlsOf(identity), service), channelOptions(service));
    clients.set(key, client);
  }
  return client;
}

/** One unary call with raw bytes (the empty request is a valid message of every type). */
function call(client: Client, path: string, md = new Metadata(), body: Buffer = Buffer.alloc(0)): Promise<{ code: status; details?: string }> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, md, { deadline: Date.now() + 10_000 }, (err: ServiceError | null) =>
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK }),
    ),
  );
}

const callAs = (identity: string, path: string, md?: Metadata, body?: Buffer) => call(clientAs(identity, serviceOf(path)), path, md, body);

// Identities of the mesh and one the mesh CA signed that names no service.
const IDENTITIES: readonly string[] = [...PEER_NAMES, "intruder"];

describe("a call without a mesh certificate", () => {
  it("fails on every service's port: no client certificate, or no TLS at all", async () => {
    const ca = readFileSync(tlsOf("operator").caFile);
    const noCertificate: ChannelCredentials = credentials.createSsl(ca, null, null, { checkServerIdentity: () => undefined });
    for (const service of Object.keys(mesh().grpcAddresses) as Service[]) {
      for (const creds of [noCertificate, credentials.createInsecure()]) {
        const client = new Client(mesh().grpcAddresses[service], creds, channelOptions(service));
        const answer = await call(client, "/grpc.health.v1.Health/Check");
        client.close();
        expect({ service, code: answer.code }).toEqual({ service, code: status.UNAVAILABLE });
      }
    }
  });
});

describe("the attacks of issue 13", () => {
  const claimsAdmin = () => metadataOf({ [METADATA.clientCertificateName]: "admin" });

  it("AuthenticateCertificate with x-client-cert-cn: admin from anyone but the gateway is refused by the pod and the key manager", async () => {
    for (const path of ["/symphony.pod.v1.PodService/AuthenticateCertificate", "/symphony.keymanager.v1.KeyManagerService/AuthenticateCertificate"]) {
      for (const identity of IDENTITIES.filter((i) => i !== "gateway")) {
        expect({ path, identity, code: (await callAs(identity, path, claimsAdmin())).code }).toEqual({ path, identity, code: status.PERMISSION_DENIED });
      }
    }
  });

  it("PodInternalService answers neither the gateway nor an intruder", async () => {
    const internal = [...METHOD_POLICIES.keys()].filter((p) => p.startsWith("/symphony.pod.v1.PodInternalService/"));
    expect(internal.length).toBeGreaterThan(0);
    for (const path of internal) {
      for (const identity of ["gateway", "intruder", "operator"]) {
        expect({ path, identity, code: (await callAs(identity, path)).code }).toEqual({ path, identity, code: status.PERMISSION_DENIED });
      }
    }
  });

  it("StoreMessage from the gateway's identity is refused even with a member's valid session", async () => {
    const member = await newBot("storer");
    const roomId = await newRoom(member.bot);
    const md = metadataOf({ [METADATA.sessionToken]: member.bot.sessionToken });
    const body = Buffer.from(StoreMessageRequest.encode(StoreMessageRequest.fromPartial({ streamId: roomId, messageId: "x", ciphertext: Buffer.from("<script>") })).finish());
    for (const identity of ["gateway", "operator", "intruder"]) {
      expect({ identity, code: (await callAs(identity, "/symphony.pod.v1.PodService/StoreMessage", md, body)).code }).toEqual({ identity, code: status.PERMISSION_DENIED });
    }
    // The agent's identity with the same session reaches the handler, which checks the envelope.
    expect((await callAs("agent", "/symphony.pod.v1.PodService/StoreMessage", md, body)).code).not.toBe(status.PERMISSION_DENIED);
  });
});

describe("the declared call policies, RPC by RPC", () => {
  it("covers every RPC the services declare", () => {
    const services = new Set([...METHOD_POLICIES.keys()].map(serviceOf));
    expect([...services].sort()).toEqual(["agent", "keymanager", "objectstore", "pod"]);
  });

  it("refuses a certificate of every identity the policy does not name, before any handler runs", async () => {
    const refused: string[] = [];
    for (const policy of METHOD_POLICIES.values()) {
      for (const identity of IDENTITIES.filter((i) => !policy.callers.has(i as PeerName))) {
        const { code } = await callAs(identity, policy.path);
        if (code !== status.PERMISSION_DENIED) refused.push(`${identity} → ${policy.path}: ${status[code]}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it("admits the identities it names as far as their credentials: without a bot token they are unauthenticated", async () => {
    const tokens = new Set([Credential.CREDENTIAL_SESSION, Credential.CREDENTIAL_KEY_MANAGER, Credential.CREDENTIAL_SESSION_AND_KEY_MANAGER]);
    const unexpected: string[] = [];
    for (const policy of METHOD_POLICIES.values()) {
      if (!tokens.has(policy.credential)) continue;
      for (const identity of policy.callers) {
        const { code } = await callAs(identity, policy.path);
        if (code !== status.UNAUTHENTICATED) unexpected.push(`${identity} → ${policy.path}: ${status[code]}`);
      }
    }
    expect(unexpected).toEqual([]);
  });
});
