import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "./logger.js";
import { watchReadiness } from "./readiness.js";

// The health status follows the dependencies: reported once per change, a hanging check counts as down.

const logger = createLogger("test", "silent");
afterEach(() => void vi.useRealTimers());

describe("watchReadiness", () => {
  it("reports not serving while a dependency fails or hangs, and serving again once all answer", async () => {
    vi.useFakeTimers();
    let nats: "up" | "down" | "hanging" = "up";
    const reports: boolean[] = [];
    const watch = watchReadiness(
      {
        database: async () => undefined,
        nats: () => (nats === "up" ? Promise.resolve() : nats === "down" ? Promise.reject(new Error("disconnected")) : new Promise(() => undefined)),
      },
      logger,
      (serving) => reports.push(serving),
    );
    await vi.advanceTimersByTimeAsync(5_000);
    expect(reports).toEqual([]);
    nats = "down";
    await vi.advanceTimersByTimeAsync(5_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(reports).toEqual([false]);
    nats = "up";
    await vi.advanceTimersByTimeAsync(5_000);
    expect(reports).toEqual([false, true]);
    nats = "hanging";
    await vi.advanceTimersByTimeAsync(7_000);
    expect(reports).toEqual([false, true, false]);
    watch.stop();
  });
});
