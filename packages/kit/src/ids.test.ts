import { describe, expect, it } from "vitest";
import { newSymphonyId, normalizeSymphonyId, symphonyIdTime } from "./ids.js";

describe("symphony ids", () => {
  it("are 34 URL-safe characters encoding 25 bytes", () => {
    const id = newSymphonyId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{34}$/);
    expect(Buffer.from(id, "base64url")).toHaveLength(25);
  });

  it("encode their creation time like Symphony's", () => {
    expect(symphonyIdTime("7X1cP_3wMD4mr6rcp7j26X___oh4uDkVdA")).toBe(1612882364138);
    expect(symphonyIdTime(newSymphonyId(1_700_000_000_123))).toBe(1_700_000_000_123);
  });

  it("are unique", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newSymphonyId()));
    expect(ids.size).toBe(10_000);
  });

  it("normalise the standard base64 form to the URL-safe one", () => {
    expect(normalizeSymphonyId("XlU3OH9eVMzq+yss7M/xyn///oxwgbtGbQ==")).toBe("XlU3OH9eVMzq-yss7M_xyn___oxwgbtGbQ");
    expect(normalizeSymphonyId("XlU3OH9eVMzq-yss7M_xyn___oxwgbtGbQ")).toBe("XlU3OH9eVMzq-yss7M_xyn___oxwgbtGbQ");
  });

  it("reject garbage", () => {
    for (const bad of ["", "../../etc/passwd", "x".repeat(1024), "' OR 1=1--", "XlU3OH9eVMzq-yss7M_xyn___oxwgbtGb!", "XlU3OH9eVMzq-yss7M_xyn___oxwgbtGbR"]) {
      expect(normalizeSymphonyId(bad)).toBeUndefined();
    }
  });
});
