import type { Bus } from "./bus.js";
import type { Logger } from "./logger.js";
import { meter } from "./telemetry.js";

/** A row is moved to the dead letters when this many publications of it have failed. */
export const DEAD_LETTER_AFTER = 5;

// Subject, message id and trace headers travel with the payload and count against max_payload.
const ENVELOPE_ALLOWANCE = 2_048;

const failures = meter.createCounter("symphony.outbox.publish_failures", {
  description: "Outbox rows whose publication failed (retried later, or dead-lettered)",
});
const deadLettered = meter.createCounter("symphony.outbox.dead_letters", {
  description: "Outbox rows moved to the dead letters, by cause",
});

/**
 * Delay before the next try of a row that failed `attempts` times: 1, 2, 4, 8 s, so a row reaches
 * the dead letters within JetStream's 2-minute duplicate window and a retry of a row half
 * published adds no duplicate.
 */
export const retryDelayMs = (attempts: number) => 1_000 * 2 ** Math.max(0, attempts - 1);

/** Largest payload one publish may carry on this connection, from the server it is connected to. */
export function maxEventPayload(bus: Bus): number {
  const max = bus.nc.info?.max_payload;
  if (!max) throw new Error("the NATS connection reports no max_payload");
  return max - ENVELOPE_ALLOWANCE;
}

export interface RowFailure<R> {
  row: R;
  /** For the operator: what went wrong, never the row's content. */
  reason: string;
  /** Retrying cannot help (the payload is larger than the bus accepts): dead-letter at once. */
  permanent: boolean;
}

export interface PublishOutcome<R> {
  published: R[];
  failed: RowFailure<R>[];
}

export interface PublishEachOptions<R> {
  publish: (row: R) => Promise<unknown>;
  /** Bytes of the largest message the row puts on the bus. */
  size: (row: R) => number;
  /** From maxEventPayload. */
  limit: number;
  /** Answers when the bus is up; when no row of a batch went out, tells a bus outage from bad rows. */
  probe: () => Promise<unknown>;
}

/** Thrown when the bus itself does not answer: nothing is counted against the rows. */
export class BusUnavailable extends Error {
  constructor(cause: unknown) {
    super("the bus does not answer", { cause });
  }
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

/**
 * Publishes each row on its own, so one row the bus refuses does not hold back the others.
 * A row larger than the bus accepts fails permanently without a try.
 */
export async function publishEach<R>(rows: readonly R[], opts: PublishEachOptions<R>): Promise<PublishOutcome<R>> {
  const outcome: PublishOutcome<R> = { published: [], failed: [] };
  await Promise.all(
    rows.map(async (row) => {
      const size = opts.size(row);
      if (size > opts.limit) {
        outcome.failed.push({ row, reason: `payload of ${size} bytes exceeds the bus limit of ${opts.limit} bytes`, permanent: true });
        return;
      }
      try {
        await opts.publish(row);
        outcome.published.push(row);
      } catch (err) {
        outcome.failed.push({ row, reason: describe(err), permanent: false });
      }
    }),
  );
  if (outcome.published.length === 0 && outcome.failed.some((f) => !f.permanent)) {
    try {
      await opts.probe();
    } catch (err) {
      throw new BusUnavailable(err);
    }
  }
  return outcome;
}

export interface FailureRecord {
  seq: number;
  eventId: string;
  reason: string;
  /** True when the row went to the dead letters, false when it will be retried. */
  deadLettered: boolean;
  attempts: number;
}

/** Meters and logs what became of failed rows (ids and reasons only, never content). */
export function reportFailures(relay: string, records: readonly FailureRecord[], logger: Logger): void {
  for (const r of records) {
    failures.add(1, { relay });
    if (r.deadLettered) {
      deadLettered.add(1, { relay, cause: r.reason.startsWith("payload of") ? "too_large" : "failing" });
      logger.error({ relay, seq: r.seq, eventId: r.eventId, attempts: r.attempts, reason: r.reason }, "outbox row moved to the dead letters");
    } else {
      logger.warn({ relay, seq: r.seq, eventId: r.eventId, attempts: r.attempts, reason: r.reason }, "outbox row could not be published; will retry");
    }
  }
}
