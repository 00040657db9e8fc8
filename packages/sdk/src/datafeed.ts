import { BadRequestError, SymphonyError } from "./errors.js";
import { queryString, urlSafeId } from "./http.js";
import { Backoff, isTransient, type RetryOptions } from "./retry.js";
import type { V4Event, V5Datafeed } from "./types.js";

// v5 feed ids the official clients accept when they look for a feed to reuse.
const FEED_ID = /^[^\s_]+_f(_[^\s_]+)?$/;

export interface DatafeedOptions {
  /** Stops the loop: a pending read is cancelled and the iterator ends. */
  signal?: AbortSignal;
  /** Reuse or create the feed with this tag (1–100 letters, digits, `_ . @ -`); the feed's id is the tag. */
  tag?: string;
  includeInvisible?: boolean;
  /** Also yield the events the bot caused itself; the official clients drop them. */
  includeOwnEvents?: boolean;
  /** Backoff between failed reads (429, 5xx, network errors). */
  retry?: RetryOptions;
}

/** What the loop needs of a bot; declared here so that the loop does not import the bot that makes it. */
export interface DatafeedCaller {
  call<T>(method: string, path: string, body?: unknown, options?: { signal?: AbortSignal }): Promise<T>;
  userId(): Promise<number>;
}

interface EventList {
  events?: V4Event[];
  ackId?: string;
}

/**
 * The datafeed v5 loop of the official clients, as an async iterator. It reuses the bot's
 * feed (or creates one) and reads with the ackId of the previous batch. A batch is
 * acknowledged only when the consumer asks for the event after its last one, so every event is
 * delivered at least once: events of a batch the consumer did not finish (it broke out of the
 * loop, threw, or the signal fired) come back, about 30 s later, to the next reader of the feed.
 * A 400 from a read means the feed is gone: the loop deletes it, creates a new one and goes on.
 * 401s re-authenticate (in SymphonyBot.call); 429, 5xx and network errors are retried with
 * backoff, forever; anything else ends the iteration with its error.
 */
export class DatafeedLoop implements AsyncIterable<V4Event> {
  private current: string | undefined;
  /** A feed a read called gone (400), to delete before a new one is made. */
  private dead: string | undefined;

  constructor(
    private readonly bot: DatafeedCaller,
    private readonly options: DatafeedOptions,
  ) {}

  /** The feed being read, once the loop has started. */
  get feedId(): string | undefined {
    return this.current;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<V4Event> {
    const { signal } = this.options;
    const backoff = new Backoff(this.options.retry, signal);
    let self: number | undefined;
    let ackId = "";
    while (!signal?.aborted) {
      let feedId: string;
      try {
        if (!this.options.includeOwnEvents) self ??= await this.bot.userId();
        if (this.dead) await this.discard(this.dead);
        this.dead = undefined;
        feedId = this.current ??= await this.findOrCreate();
      } catch (err) {
        if (signal?.aborted) return;
        if (!isTransient(err)) throw err;
        await backoff.wait();
        continue;
      }
      let batch: EventList;
      try {
        batch = (await this.bot.call<EventList | undefined>("POST", `/agent/v5/datafeeds/${urlSafeId(feedId)}/read`, { ackId }, { signal })) ?? {};
      } catch (err) {
        if (signal?.aborted) return;
        if (err instanceof BadRequestError) {
          this.dead = feedId;
          this.current = undefined;
          ackId = "";
        } else if (!isTransient(err)) throw err;
        // Also between re-creations, so a feed that keeps failing does not make a busy loop.
        await backoff.wait();
        continue;
      }
      backoff.reset();
      for (const event of batch.events ?? []) {
        if (signal?.aborted) return;
        if (self === undefined || event.initiator?.user?.userId !== self) yield event;
      }
      ackId = batch.ackId ?? "";
    }
  }

  private async findOrCreate(): Promise<string> {
    const { tag, includeInvisible, signal } = this.options;
    const feeds = (await this.bot.call<V5Datafeed[] | undefined>("GET", `/agent/v5/datafeeds${queryString({ tag })}`, undefined, { signal })) ?? [];
    // A tagged feed's id is its tag (the Java BDK's rule); untagged ids have the Python BDK's form.
    const reusable = feeds.find((f) => (tag ? f.id === tag && f.type === "fanout" : FEED_ID.test(f.id)));
    if (reusable) return reusable.id;
    return (await this.bot.call<V5Datafeed>("POST", "/agent/v5/datafeeds", { tag, includeInvisible }, { signal })).id;
  }

  /** Deletes a dead feed; a feed that is already gone (4xx) is what we wanted anyway. */
  private async discard(feedId: string): Promise<void> {
    try {
      await this.bot.call("DELETE", `/agent/v5/datafeeds/${urlSafeId(feedId)}`, undefined, { signal: this.options.signal });
    } catch (err) {
      if (!(err instanceof SymphonyError && err.status < 500)) throw err;
    }
  }
}
