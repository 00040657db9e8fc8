import { invalidArgument } from "@symphony/kit";

const DEFAULT_LIMIT = 100;
// Allegro's client asks for 2000 by default although its model documents 100.
const MAX_LIMIT = 2000;
// Like Allegro's 5 MiB API-gateway cut, below the 4 MiB a gRPC answer may carry.
const MAX_PAGE_BYTES = 3 * 1024 * 1024;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalidArgument(`limit must be between 1 and ${MAX_LIMIT}`);
  return limit;
}

/** A numeric cursor (version sequence, user id) from a previous page. */
export function numericCursor(after: string): number | undefined {
  if (!after) return undefined;
  if (!/^\d{1,15}$/.test(after)) throw invalidArgument("after is not a cursor this service returned");
  return Number(after);
}

/**
 * Cuts rows fetched with limit + 1 into one page: `after` names the last row kept when more may
 * follow (the row beyond the limit exists, or the page hit its byte budget); `before` names the
 * first row when the page was asked for with a cursor, as Allegro's does.
 */
export function cutPage<R>(rows: R[], limit: number, size: (r: R) => number, cursorOf: (r: R) => string, askedAfter: string): { rows: R[]; before: string; after: string } {
  const kept: R[] = [];
  let bytes = 0;
  for (const row of rows.slice(0, limit)) {
    if (kept.length > 0 && bytes + size(row) > MAX_PAGE_BYTES) break;
    kept.push(row);
    bytes += size(row);
  }
  const more = kept.length < rows.length;
  const last = kept[kept.length - 1];
  return {
    rows: kept,
    before: askedAfter && kept.length > 0 ? cursorOf(kept[0]!) : "",
    after: more && last !== undefined ? cursorOf(last) : "",
  };
}
