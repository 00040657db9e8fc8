import { createPrivateKey, type KeyObject } from "node:crypto";
import { signLoginJwt } from "./auth.js";
import { AuthenticationError, errorFor } from "./errors.js";
import { readBody } from "./http.js";

export interface BotCredentials {
  /** The gateway (or pod) URL, e.g. https://acme.symphony.com */
  baseUrl: string;
  username: string;
  /** RSA private key, PKCS#1 or PKCS#8 PEM. It signs login JWTs and unwraps content keys; it is never sent. */
  privateKeyPem: string;
  /** A fetch of your own (proxies, instrumentation); the global one by default. */
  fetch?: typeof fetch;
}

/**
 * The bot's two tokens: sessionToken from /login and keyManagerToken from /relay, each obtained
 * with a freshly signed RS512 JWT. `generation` counts authentications, so concurrent calls
 * that all saw the same stale token share a single refresh.
 */
export class Session {
  readonly privateKey: KeyObject;
  readonly fetch: typeof fetch;
  sessionToken = "";
  keyManagerToken = "";
  generation = 0;
  private refreshing: Promise<void> | undefined;

  constructor(readonly credentials: BotCredentials) {
    this.privateKey = createPrivateKey(credentials.privateKeyPem);
    this.fetch = credentials.fetch ?? fetch;
  }

  async authenticate(): Promise<void> {
    const [sessionToken, keyManagerToken] = await Promise.all([this.token("/login/pubkey/authenticate"), this.token("/relay/pubkey/authenticate")]);
    this.sessionToken = sessionToken;
    this.keyManagerToken = keyManagerToken;
    this.generation++;
  }

  /** Re-authenticates unless someone already did since `seen`; callers then retry with the new tokens. */
  refresh(seen: number): Promise<void> {
    if (this.generation !== seen) return Promise.resolve();
    this.refreshing ??= this.authenticate().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async token(path: string): Promise<string> {
    const res = await this.fetch(new URL(path, this.credentials.baseUrl), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ token: await signLoginJwt(this.credentials.username, this.privateKey) }),
    });
    const body = await readBody(res);
    // A 401 here means the credentials themselves are wrong: retrying cannot help.
    if (res.status === 401) throw new AuthenticationError(401, body);
    if (!res.ok) throw errorFor(res.status, body);
    const token = (body as { token?: unknown } | undefined)?.token;
    if (typeof token !== "string" || !token) throw errorFor(502, { code: 502, message: `${path} answered without a token` });
    return token;
  }
}
