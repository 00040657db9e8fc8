import { MAX_MESSAGE_BYTES, status } from "@symphony/kit";
import { describe, expect, it } from "vitest";
import { checkMessageSize } from "./message-size.js";

describe("message size", () => {
  it("takes a message and data of exactly the cap", () => {
    expect(() => checkMessageSize("m".repeat(MAX_MESSAGE_BYTES - 10), "d".repeat(10))).not.toThrow();
  });

  it("refuses one byte more, counted in UTF-8 bytes, not characters", () => {
    expect(() => checkMessageSize("m".repeat(MAX_MESSAGE_BYTES - 10), "d".repeat(11))).toThrow(expect.objectContaining({ code: status.INVALID_ARGUMENT }));
    expect(() => checkMessageSize("é".repeat(MAX_MESSAGE_BYTES / 2 + 1), undefined)).toThrow(expect.objectContaining({ code: status.INVALID_ARGUMENT }));
  });
});
