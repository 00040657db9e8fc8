import { invalidArgument } from "@symphony/kit";

const MAX_PAGE = 1000;

export function userIdOf(raw: number, field = "id"): number {
  if (!Number.isSafeInteger(raw) || raw <= 0) throw invalidArgument(`${field} must be a user id`);
  return raw;
}

/** skip/limit of the public API: non-negative, limit defaulting to `fallback`, capped. */
export function page(skip: number, limit: number, fallback = 50): { skip: number; limit: number } {
  if (skip < 0 || limit < 0) throw invalidArgument("skip and limit must not be negative");
  if (limit > MAX_PAGE) throw invalidArgument(`limit must not exceed ${MAX_PAGE}`);
  return { skip, limit: limit || fallback };
}
