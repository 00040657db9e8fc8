import { describe, expect, it } from "vitest";
import {
  AuthenticationError,
  BadRequestError,
  ComplianceError,
  ConflictError,
  errorFor,
  GoneError,
  NotFoundError,
  PermissionDeniedError,
  ServerError,
  SymphonyError,
  TooLargeError,
  TooManyRequestsError,
  UnauthorizedError,
} from "./errors.js";

describe("error mapping", () => {
  it("maps each status to its type and keeps Symphony's {code, message}", () => {
    const cases = [
      [400, BadRequestError],
      [401, UnauthorizedError],
      [403, PermissionDeniedError],
      [404, NotFoundError],
      [409, ConflictError],
      [410, GoneError],
      [413, TooLargeError],
      [429, TooManyRequestsError],
      [451, ComplianceError],
      [500, ServerError],
      [503, ServerError],
      [418, SymphonyError],
    ] as const;
    for (const [status, Type] of cases) {
      const err = errorFor(status, { code: status, message: `answer ${status}` });
      expect(err).toBeInstanceOf(Type);
      expect(err).toBeInstanceOf(SymphonyError);
      expect(err).toBeInstanceOf(Error);
      expect({ status: err.status, code: err.code, message: err.message, name: err.name }).toEqual({ status, code: status, message: `answer ${status}`, name: Type.name });
    }
  });

  it("treats a deleted object as a kind of not found, and a refused login as a kind of 401", () => {
    expect(errorFor(410, {})).toBeInstanceOf(NotFoundError);
    expect(new AuthenticationError(401, { code: 401, message: "Invalid credentials" })).toBeInstanceOf(UnauthorizedError);
  });

  it("keeps the agent's details and the whole body", () => {
    const body = { code: 400, message: "Invalid MessageML", details: { line: 3 } };
    const err = errorFor(400, body);
    expect(err.details).toEqual({ line: 3 });
    expect(err.body).toBe(body);
  });

  it("falls back to the status when the body is empty, text or not Symphony's shape", () => {
    expect(errorFor(502, undefined)).toMatchObject({ code: 502, message: "HTTP 502" });
    expect(errorFor(502, "Bad Gateway")).toMatchObject({ code: 502, message: "Bad Gateway" });
    expect(errorFor(400, { code: "x", message: 5 })).toMatchObject({ code: 400, message: "HTTP 400" });
  });

  it("calls throttling and server trouble retryable, client errors not", () => {
    expect([429, 500, 503].map((s) => errorFor(s, {}).retryable)).toEqual([true, true, true]);
    expect([400, 401, 403, 404, 409, 410].map((s) => errorFor(s, {}).retryable)).toEqual([false, false, false, false, false, false]);
  });
});
