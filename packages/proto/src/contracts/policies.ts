import { getExtension, hasExtension, type DescService } from "@bufbuild/protobuf";
import { CallPolicy, Credential, Peer, Role } from "../gen/symphony/api/v1/policy.js";
import { extension, registry } from "./registry.js";
import { roleName } from "./roles.js";

/** What a call must bring, resolved from a method's policy and its service's default. */
export interface MethodPolicy {
  /** gRPC path, e.g. /symphony.pod.v1.PodService/StoreMessage */
  path: string;
  /** Service identities that may call it, by their certificate names ("gateway", "agent"…). */
  callers: ReadonlySet<PeerName>;
  credential: Exclude<Credential, Credential.CREDENTIAL_UNSPECIFIED | Credential.UNRECOGNIZED>;
  /** Roles of which the bot must hold one; empty when any user may call. */
  roles: readonly string[];
}

export type PeerName = "gateway" | "pod" | "keymanager" | "agent" | "objectstore" | "operator";

/** The certificate name of a peer: the enum value without its PEER_ prefix, lower case. */
export const peerName = (peer: Peer): PeerName => Peer[peer].replace(/^PEER_/, "").toLowerCase() as PeerName;

export const PEER_NAMES: readonly PeerName[] = Object.values(Peer)
  .filter((p): p is Peer => typeof p === "number" && p !== Peer.PEER_UNSPECIFIED && p !== Peer.UNRECOGNIZED)
  .map(peerName);

function read(options: unknown, name: string): CallPolicy | undefined {
  const ext = extension(name);
  if (!options || !hasExtension(options as never, ext)) return undefined;
  return CallPolicy.fromPartial(getExtension(options as never, ext) as Partial<CallPolicy>);
}

function resolve(service: DescService, path: string, method: CallPolicy | undefined): MethodPolicy {
  const fallback = read(service.proto.options, "symphony.api.v1.default_policy");
  const callers = method?.callers.length ? method.callers : (fallback?.callers ?? []);
  const credential = method?.credential || fallback?.credential || Credential.CREDENTIAL_UNSPECIFIED;
  if (callers.length === 0 || credential === Credential.CREDENTIAL_UNSPECIFIED || credential === Credential.UNRECOGNIZED) {
    throw new Error(`${path} declares no call policy (callers and credential), neither on the method nor as its service's default`);
  }
  const declared = method?.roles.length ? method.roles : (fallback?.roles ?? []);
  const roles = declared.filter((r) => r !== Role.ROLE_UNSPECIFIED && r !== Role.UNRECOGNIZED);
  return { path, callers: new Set(callers.map(peerName)), credential, roles: roles.map(roleName) };
}

function load(): Map<string, MethodPolicy> {
  const out = new Map<string, MethodPolicy>();
  const services = [...registry].filter((t): t is DescService => t.kind === "service" && t.typeName.startsWith("symphony."));
  for (const service of services) {
    for (const method of service.methods) {
      const path = `/${service.typeName}/${method.name}`;
      out.set(path, resolve(service, path, read(method.proto.options, "symphony.api.v1.policy")));
    }
  }
  return out;
}

/**
 * The policy of every RPC of the mesh, by gRPC path. Loading fails when an RPC declares none,
 * so a new RPC without a policy cannot start (and fails the policy test).
 */
export const METHOD_POLICIES: ReadonlyMap<string, MethodPolicy> = load();
