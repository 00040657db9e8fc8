import { DatafeedLoop, type DatafeedOptions } from "./datafeed.js";
import { errorFor } from "./errors.js";
import { queryString, readBody, tokensFor, urlSafeId } from "./http.js";
import { Session, type BotCredentials } from "./session.js";
import type { MemberInfo, UserV2, V3RoomAttributes, V3RoomDetail, V4Message } from "./types.js";

export type { BotCredentials } from "./session.js";

export interface CallOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/**
 * A REST client for a bot. It authenticates like the official clients (RSA, /login then
 * /relay, a fresh RS512 JWT each time), sends the token headers each API wants, and on a 401
 * authenticates again and retries the call once. Failures are typed `SymphonyError`s.
 */
export class SymphonyBot {
  private user: Promise<UserV2> | undefined;

  private constructor(private readonly session: Session) {}

  /** Throws AuthenticationError when /login or /relay refuses the credentials. */
  static async authenticate(credentials: BotCredentials): Promise<SymphonyBot> {
    const session = new Session(credentials);
    await session.authenticate();
    return new SymphonyBot(session);
  }

  get credentials(): BotCredentials {
    return this.session.credentials;
  }

  get sessionToken(): string {
    return this.session.sessionToken;
  }

  get keyManagerToken(): string {
    return this.session.keyManagerToken;
  }

  /** The bot's RSA private key, for unwrapping the content keys the key manager wraps to it. */
  get privateKey() {
    return this.session.privateKey;
  }

  /** Authenticates again now (both tokens), e.g. after a logout. */
  reauthenticate(): Promise<void> {
    return this.session.refresh(this.session.generation);
  }

  /**
   * Calls the API; returns the parsed JSON (undefined for 204) or throws a SymphonyError.
   * `body` is sent as JSON, or as multipart/form-data when it is FormData.
   */
  async call<T>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
    const seen = this.session.generation;
    let res = await this.send(method, path, body, options);
    if (res.status === 401) {
      await res.body?.cancel();
      await this.session.refresh(seen);
      res = await this.send(method, path, body, options);
    }
    const parsed = await readBody(res);
    if (!res.ok) throw errorFor(res.status, parsed);
    return parsed as T;
  }

  private send(method: string, path: string, body: unknown, options: CallOptions): Promise<Response> {
    const tokens = tokensFor(path);
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (tokens.session) headers.sessionToken = this.session.sessionToken;
    if (tokens.keyManager) headers.keyManagerToken = this.session.keyManagerToken;
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    return this.session.fetch(new URL(path, this.session.credentials.baseUrl), { method, headers, body: payload, signal: options.signal });
  }

  /** The bot's own user (GET /pod/v2/sessioninfo), asked once. */
  sessionInfo(): Promise<UserV2> {
    this.user ??= this.call<UserV2>("GET", "/pod/v2/sessioninfo").catch((err: unknown) => {
      this.user = undefined;
      throw err;
    });
    return this.user;
  }

  async userId(): Promise<number> {
    return (await this.sessionInfo()).id;
  }

  /** Sends MessageML as multipart/form-data, as the official clients do. */
  sendMessage(streamId: string, messageML: string, data?: string): Promise<V4Message> {
    const form = new FormData();
    form.set("message", messageML);
    if (data !== undefined) form.set("data", data);
    return this.call("POST", `/agent/v4/stream/${urlSafeId(streamId)}/message/create`, form);
  }

  /** Messages of a stream since `since` (epoch ms), oldest first; [] when there are none. */
  async messages(streamId: string, since = 0, limit = 50): Promise<V4Message[]> {
    return (await this.call<V4Message[] | undefined>("GET", `/agent/v4/stream/${urlSafeId(streamId)}/message${queryString({ since, limit })}`)) ?? [];
  }

  createRoom(attributes: V3RoomAttributes): Promise<V3RoomDetail> {
    return this.call("POST", "/pod/v3/room/create", attributes);
  }

  roomInfo(streamId: string): Promise<V3RoomDetail> {
    return this.call("GET", `/pod/v3/room/${urlSafeId(streamId)}/info`);
  }

  async addRoomMember(streamId: string, userId: number): Promise<void> {
    await this.call("POST", `/pod/v1/room/${urlSafeId(streamId)}/membership/add`, { id: userId });
  }

  async removeRoomMember(streamId: string, userId: number): Promise<void> {
    await this.call("POST", `/pod/v1/room/${urlSafeId(streamId)}/membership/remove`, { id: userId });
  }

  async roomMembers(streamId: string): Promise<MemberInfo[]> {
    return (await this.call<MemberInfo[] | undefined>("GET", `/pod/v2/room/${urlSafeId(streamId)}/membership/list`)) ?? [];
  }

  /**
   * The bot's real-time events (datafeed v5) as an async iterator:
   * `for await (const event of bot.datafeed({ signal })) …`. See DatafeedLoop for the guarantees.
   */
  datafeed(options: DatafeedOptions = {}): DatafeedLoop {
    return new DatafeedLoop(this, options);
  }
}
