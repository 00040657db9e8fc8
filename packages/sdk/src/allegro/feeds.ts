import { isTransient, Backoff, type RetryOptions } from "../retry.js";
import type { AllegroObject } from "./allegro-object.js";

export interface FeedReadRequest {
  /** 0..10 objects (default 10); 0 only acknowledges and extends. */
  maxItems?: number;
  /** Long poll: wait up to this many seconds (0..20) for objects to arrive. */
  waitTimeSeconds?: number;
  /** Seconds the objects of this answer stay invisible to other reads (default 30). */
  visibilityTimeout?: number;
  /** Receipts to acknowledge: those objects are done and never come back. */
  delete?: string[];
  /** Receipts whose invisibility to change: `visibilityTimeout` seconds from now (0: at once). */
  extend?: { receiptHandle: string; visibilityTimeout: number }[];
  signal?: AbortSignal;
}

/** Reads a feed: the one call that acknowledges, extends and long-polls. */
export type FeedReader = (request: FeedReadRequest) => Promise<unknown>;

/** Acknowledges (delete) or changes the visibility of one delivered message. */
export type Settler = (receiptHandle: string, action: { delete: true } | { visibilityTimeout: number }) => Promise<void>;

/** An object delivered by a feed, with what to do about it. */
export class FeedMessage<T = unknown> {
  private done = false;

  constructor(
    readonly messageId: string,
    readonly receiptHandle: string,
    readonly object: AllegroObject<T>,
    private readonly settler: Settler,
    private readonly reader: FeedReader,
  ) {}

  /** Whether ack() or release() was called. */
  get settled(): boolean {
    return this.done;
  }

  /** Done: the feed forgets it. Inside a feed() loop it rides on the next read (or the loop's end). */
  async ack(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.settler(this.receiptHandle, { delete: true });
  }

  /** Not done: deliver it again after `delaySeconds` (0: at once). Inside a feed() loop it rides on the next read. */
  async release(delaySeconds = 0): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.settler(this.receiptHandle, { visibilityTimeout: delaySeconds });
  }

  /** Still working on it: keep it invisible for `seconds` more. Sent at once. */
  async extend(seconds: number): Promise<void> {
    await this.reader({ maxItems: 0, extend: [{ receiptHandle: this.receiptHandle, visibilityTimeout: seconds }] });
  }
}

export interface FeedSubscriptionOptions {
  /** Stops the loop: a pending read is cancelled, pending acknowledgements are sent, the iterator ends. */
  signal?: AbortSignal;
  /** Objects per read, 1..10 (default 10). */
  maxItems?: number;
  /** Long poll per read, 0..20 s (default 20, as Allegro's subscribers). */
  waitTimeSeconds?: number;
  /** How long a delivered object stays invisible to other readers (server default 30 s). */
  visibilityTimeout?: number;
  /**
   * Acknowledge a message when the consumer asks for the next one without having settled it
   * (default true). With false, messages the consumer does not ack() come back after their
   * visibility timeout.
   */
  autoAck?: boolean;
  retry?: RetryOptions;
}

/**
 * `for await` over a feed's objects, at least once: a message is acknowledged only once the
 * consumer moved past it (or called ack()), in the next read; one the consumer was holding when
 * it stopped or threw is not, and comes back after its visibility timeout. 429, 5xx and network
 * errors are retried with backoff; other errors end the iteration.
 */
export class FeedSubscription<T = unknown> implements AsyncIterable<FeedMessage<T>> {
  private deletes: string[] = [];
  private extends: { receiptHandle: string; visibilityTimeout: number }[] = [];

  constructor(
    private readonly read: (request: FeedReadRequest, settler: Settler) => Promise<FeedMessage<T>[]>,
    private readonly options: FeedSubscriptionOptions = {},
  ) {}

  /** Queues the settlement for the next read. */
  private readonly settle: Settler = async (receiptHandle, action) => {
    if ("delete" in action) this.deletes.push(receiptHandle);
    else this.extends.push({ receiptHandle, visibilityTimeout: action.visibilityTimeout });
  };

  async *[Symbol.asyncIterator](): AsyncIterator<FeedMessage<T>> {
    const { signal, autoAck = true } = this.options;
    const backoff = new Backoff(this.options.retry, signal);
    try {
      while (!signal?.aborted) {
        let batch: FeedMessage<T>[];
        try {
          batch = await this.send({ maxItems: this.options.maxItems ?? 10, waitTimeSeconds: this.options.waitTimeSeconds ?? 20, visibilityTimeout: this.options.visibilityTimeout, signal });
        } catch (err) {
          if (signal?.aborted) return;
          if (!isTransient(err)) throw err;
          await backoff.wait();
          continue;
        }
        backoff.reset();
        for (const message of batch) {
          if (signal?.aborted) return;
          yield message;
          if (autoAck) await message.ack();
        }
      }
    } finally {
      // Best effort: what does not reach the server is delivered again, which at-least-once allows.
      await this.flush().catch(() => undefined);
    }
  }

  /** Sends the acknowledgements and releases not sent yet. */
  async flush(): Promise<void> {
    if (this.deletes.length === 0 && this.extends.length === 0) return;
    await this.send({ maxItems: 0 });
  }

  /** One read carrying what is pending; pending is cleared only once the server has it. */
  private async send(request: FeedReadRequest): Promise<FeedMessage<T>[]> {
    const deletes = this.deletes;
    const extends_ = this.extends;
    this.deletes = [];
    this.extends = [];
    try {
      return await this.read({ ...request, delete: deletes, extend: extends_ }, this.settle);
    } catch (err) {
      this.deletes.unshift(...deletes);
      this.extends.unshift(...extends_);
      throw err;
    }
  }
}
