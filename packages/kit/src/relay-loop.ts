import type { Logger } from "./logger.js";

const MAX_BACKOFF_MS = 5_000;

export interface RelayLoopOptions {
  /** Rows one batch takes at most: a full batch means more are waiting. */
  batch: number;
  /** How often to look for rows nobody woke the loop for (another replica's, or a crash's). */
  idlePollMs?: number;
  /** A wake publishes within this window, so rows committed together leave in one batch. */
  coalesceMs?: number;
}

/**
 * The loop of an outbox relay: publishes batches while they come back full, then sleeps until a
 * committed transaction wakes it or the idle poll comes; failures back off up to 5 s. The batch
 * function publishes and marks its rows in one transaction, so a crash only republishes.
 */
export class RelayLoop {
  private stopped = false;
  private pending = false;
  private loop: Promise<void> | undefined;
  private sleeping: { timer: NodeJS.Timeout; until: number; resolve: () => void } | undefined;
  private readonly idlePollMs: number;
  private readonly coalesceMs: number;

  constructor(
    private readonly publishBatch: () => Promise<number>,
    private readonly logger: Logger,
    private readonly opts: RelayLoopOptions,
  ) {
    this.idlePollMs = opts.idlePollMs ?? 1_000;
    this.coalesceMs = opts.coalesceMs ?? 5;
  }

  start(): void {
    this.loop = this.run();
  }

  /** A transaction committed rows: publish them within the coalescing window. */
  wake(): void {
    this.pending = true;
    const s = this.sleeping;
    if (s && s.until > Date.now() + this.coalesceMs) {
      clearTimeout(s.timer);
      this.sleep(this.coalesceMs, s.resolve);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.resolve();
    }
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      this.pending = false;
      try {
        const sent = await this.publishBatch();
        backoff = 100;
        if (sent === this.opts.batch) continue;
      } catch (err) {
        this.logger.warn({ err }, "outbox relay could not publish; retrying");
        await new Promise<void>((resolve) => this.sleep(backoff, resolve));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      await new Promise<void>((resolve) => this.sleep(this.pending ? this.coalesceMs : this.idlePollMs, resolve));
    }
  }

  private sleep(ms: number, resolve: () => void): void {
    const timer = setTimeout(() => {
      this.sleeping = undefined;
      resolve();
    }, ms);
    this.sleeping = { timer, until: Date.now() + ms, resolve };
  }
}
