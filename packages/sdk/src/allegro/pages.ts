import type { PageDocument } from "./model.js";

/** One page of a listing. `after` is absent on the last page; a short page is not the end. */
export interface Page<T> {
  data: T[];
  before?: string;
  after?: string;
  /** The page after this one, or undefined on the last page. */
  next(): Promise<Page<T> | undefined>;
}

/** Fetches one page given the cursor to start after. */
export type PageFetcher<T> = (after: string | undefined) => Promise<PageDocument<T>>;

export async function fetchPage<T, R>(fetcher: PageFetcher<T>, after: string | undefined, map: (item: T) => R): Promise<Page<R>> {
  const doc = await fetcher(after);
  const cursors = doc.pagination?.cursors ?? {};
  const nextAfter = cursors.after || undefined;
  return {
    data: (doc.data ?? []).map(map),
    before: cursors.before || undefined,
    after: nextAfter,
    next: () => (nextAfter ? fetchPage(fetcher, nextAfter, map) : Promise.resolve(undefined)),
  };
}

/** Every item from `after` on, page by page, stopping after maxItems if given. */
export async function* allItems<T, R>(fetcher: PageFetcher<T>, after: string | undefined, map: (item: T) => R, maxItems = Infinity): AsyncGenerator<R> {
  let page: Page<R> | undefined = await fetchPage(fetcher, after, map);
  let count = 0;
  while (page) {
    for (const item of page.data) {
      if (count >= maxItems) return;
      count++;
      yield item;
    }
    if (count >= maxItems) return;
    page = await page.next();
  }
}
