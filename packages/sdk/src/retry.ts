import { SymphonyError } from "./errors.js";

export interface RetryOptions {
  /** First pause after a failure (default 500 ms); it doubles on each failure in a row. */
  initialMs?: number;
  /** Longest pause (default 60 s). */
  maxMs?: number;
}

/** Throttling, server trouble and network failures: worth trying again unchanged. */
export function isTransient(err: unknown): boolean {
  if (err instanceof SymphonyError) return err.retryable;
  // fetch reports network failures as TypeError.
  return err instanceof TypeError;
}

/** Exponential backoff, as the official clients use for their datafeed loops. */
export class Backoff {
  private delay: number;
  private readonly initial: number;
  private readonly max: number;

  constructor(
    options: RetryOptions = {},
    private readonly signal: AbortSignal | undefined,
  ) {
    this.initial = options.initialMs ?? 500;
    this.max = options.maxMs ?? 60_000;
    this.delay = this.initial;
  }

  reset(): void {
    this.delay = this.initial;
  }

  /** Sleeps the current delay (cut short by the signal), then doubles it. */
  async wait(): Promise<void> {
    const ms = this.delay;
    this.delay = Math.min(this.max, this.delay * 2);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.signal?.addEventListener("abort", done, { once: true });
    });
  }
}
