import { signLoginJwt } from "./auth.js";

export class SymphonyApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
  }
}

export interface BotCredentials {
  baseUrl: string;
  username: string;
  privateKeyPem: string;
  /** A fetch of your own (proxies, instrumentation); the global one by default. */
  fetch?: typeof fetch;
}

export interface V4Message {
  messageId: string;
  timestamp: number;
  message: string;
  data?: string;
  user: { userId: number; displayName?: string; email?: string; username?: string };
  stream: { streamId: string; streamType: string };
  originalFormat?: string;
  diagnostic?: string;
}

/** A minimal REST client for a bot: authenticates like the official clients and sends the same headers. */
export class SymphonyBot {
  private constructor(
    readonly credentials: BotCredentials,
    readonly sessionToken: string,
    readonly keyManagerToken: string,
  ) {}

  static async authenticate(credentials: BotCredentials): Promise<SymphonyBot> {
    const http = credentials.fetch ?? fetch;
    const token = async (path: string) => {
      const res = await http(new URL(path, credentials.baseUrl), {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ token: await signLoginJwt(credentials.username, credentials.privateKeyPem) }),
      });
      const body = (await res.json()) as { token?: string };
      if (!res.ok || !body.token) throw new SymphonyApiError(res.status, body);
      return body.token;
    };
    return new SymphonyBot(credentials, await token("/login/pubkey/authenticate"), await token("/relay/pubkey/authenticate"));
  }

  /** Calls the API with both tokens; returns the parsed JSON (undefined for 204) or throws SymphonyApiError. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      accept: "application/json",
      sessionToken: this.sessionToken,
      keyManagerToken: this.keyManagerToken,
    };
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const res = await (this.credentials.fetch ?? fetch)(new URL(path, this.credentials.baseUrl), { method, headers, body: payload });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new SymphonyApiError(res.status, parsed);
    return parsed as T;
  }

  /** Sends MessageML as multipart/form-data, as the official clients do. */
  sendMessage(streamId: string, messageML: string, data?: string): Promise<V4Message> {
    const form = new FormData();
    form.set("message", messageML);
    if (data !== undefined) form.set("data", data);
    return this.call("POST", `/agent/v4/stream/${streamId}/message/create`, form);
  }

  async messages(streamId: string, since = 0, limit = 50): Promise<V4Message[]> {
    return (await this.call<V4Message[] | undefined>("GET", `/agent/v4/stream/${streamId}/message?since=${since}&limit=${limit}`)) ?? [];
  }
}
