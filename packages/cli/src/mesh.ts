import { readFileSync } from "node:fs";
import type { ChannelCredentials, Client, Metadata } from "@grpc/grpc-js";
import { createClient, isServiceError, KEY_MANAGER_TOKEN, metadataOf, SESSION_TOKEN, unary } from "@symphony/kit/client";
import { AgentServiceClient } from "@symphony/proto/agent/v1/agent_service";
import { KeyManagerServiceClient } from "@symphony/proto/keymanager/v1/keymanager_service";
import { ObjectStoreAdminServiceClient } from "@symphony/proto/objectstore/v1/objectstore_service";
import { DeadLetterServiceClient } from "@symphony/proto/pod/v1/dead_letter_service";
import { PodServiceClient } from "@symphony/proto/pod/v1/pod_service";
import { signLoginJwt } from "@symphony/sdk";
import { ADMIN_KEY_ENV, type Config, type ServiceName } from "./config.js";
import { CallFailure, UsageError } from "./failures.js";
import { HealthClient } from "./health-client.js";

const HEALTH_TIMEOUT_MS = 5_000;

type ClientCtor<C extends Client> = new (address: string, credentials: ChannelCredentials, options?: object) => C;
type Call<C, T> = (client: C, metadata: Metadata) => Promise<T>;

/**
 * The CLI's gRPC clients. Like a bot, it signs in with the admin's RSA key (pod session token,
 * key manager token) the first time a call needs it, and sends the tokens as the gateway does.
 */
export class Mesh {
  private readonly clients = new Map<ServiceName, Map<ClientCtor<Client>, Client>>();
  private sessionToken?: Promise<string>;
  private keyManagerToken?: Promise<string>;
  private privateKeyPem?: string;

  constructor(readonly config: Config) {}

  address(service: ServiceName): string {
    return this.config.addresses[service];
  }

  private client<C extends Client>(service: ServiceName, Ctor: ClientCtor<C>): C {
    const ofService = this.clients.get(service) ?? new Map<ClientCtor<Client>, Client>();
    this.clients.set(service, ofService);
    let client = ofService.get(Ctor) as C | undefined;
    if (!client) {
      client = createClient(Ctor, this.address(service), service, this.config.tls);
      ofService.set(Ctor, client);
    }
    return client;
  }

  /** Awaits a call to one service, naming that service in any failure. */
  private async on<T>(service: ServiceName, call: Promise<T>, during?: string): Promise<T> {
    try {
      return await call;
    } catch (err) {
      if (isServiceError(err)) throw new CallFailure(service, this.address(service), err, during);
      throw err;
    }
  }

  /** The serving status of the whole server (the empty service name). */
  async health(service: ServiceName): Promise<string> {
    const client = this.client(service, HealthClient);
    const res = await this.on(service, unary(client, client.Check, { service: "" }, undefined, HEALTH_TIMEOUT_MS));
    return res.status;
  }

  async pod<T>(call: Call<PodServiceClient, T>): Promise<T> {
    const md = metadataOf({ [SESSION_TOKEN]: await this.session() });
    return this.on("pod", call(this.client("pod", PodServiceClient), md));
  }

  async keyManager<T>(call: Call<KeyManagerServiceClient, T>): Promise<T> {
    const md = metadataOf({ [KEY_MANAGER_TOKEN]: await this.keyManagerSession() });
    return this.on("keymanager", call(this.client("keymanager", KeyManagerServiceClient), md));
  }

  /** The object store's operator calls take the pod session of one of that pod's operators. */
  async objectStoreAdmin<T>(call: Call<ObjectStoreAdminServiceClient, T>): Promise<T> {
    const md = metadataOf({ [SESSION_TOKEN]: await this.session() });
    return this.on("objectstore", call(this.client("objectstore", ObjectStoreAdminServiceClient), md));
  }

  /** The pod's dead letters, for one of its administrators. */
  async deadLetters<T>(call: Call<DeadLetterServiceClient, T>): Promise<T> {
    const md = metadataOf({ [SESSION_TOKEN]: await this.session() });
    return this.on("pod", call(this.client("pod", DeadLetterServiceClient), md));
  }

  /** The agent wants both tokens, of the same user. */
  async agent<T>(call: Call<AgentServiceClient, T>): Promise<T> {
    const [session, km] = await Promise.all([this.session(), this.keyManagerSession()]);
    const md = metadataOf({ [SESSION_TOKEN]: session, [KEY_MANAGER_TOKEN]: km });
    return this.on("agent", call(this.client("agent", AgentServiceClient), md));
  }

  private session(): Promise<string> {
    this.sessionToken ??= this.signIn("pod", async (token) => {
      const pod = this.client("pod", PodServiceClient);
      return (await unary(pod, pod.authenticate, { token })).token;
    });
    return this.sessionToken;
  }

  private keyManagerSession(): Promise<string> {
    this.keyManagerToken ??= this.signIn("keymanager", async (token) => {
      const km = this.client("keymanager", KeyManagerServiceClient);
      return (await unary(km, km.authenticate, { token })).token;
    });
    return this.keyManagerToken;
  }

  /** RSA authentication: a fresh RS512 JWT for each service, signed with the admin's key. */
  private async signIn(service: ServiceName, authenticate: (jwt: string) => Promise<string>): Promise<string> {
    const { adminUser, keyFile } = this.config;
    if (!keyFile) throw new UsageError(`the admin's private key is required: pass --key FILE or set ${ADMIN_KEY_ENV}`);
    if (this.privateKeyPem === undefined) {
      try {
        this.privateKeyPem = readFileSync(keyFile, "utf8");
      } catch (err) {
        throw new UsageError(`cannot read the admin key ${keyFile}: ${(err as Error).message}`);
      }
    }
    let jwt: string;
    try {
      jwt = await signLoginJwt(adminUser, this.privateKeyPem);
    } catch {
      throw new UsageError(`${keyFile} is not a PEM RSA private key`);
    }
    return this.on(service, authenticate(jwt), `signing in as ${adminUser}`);
  }

  close(): void {
    for (const ofService of this.clients.values()) for (const client of ofService.values()) client.close();
  }
}
