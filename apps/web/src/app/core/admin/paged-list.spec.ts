import type { Page } from '@conclave/contracts';
import { PagedList } from './paged-list';

interface Deferred {
  query: string;
  cursor: string | null;
  resolve(page: Page<string>): void;
  reject(err: Error): void;
}

/** A fetcher whose answers the test gives, in any order. */
function controlledFetcher() {
  const calls: Deferred[] = [];
  const fetch = (query: string, cursor: string | null) =>
    new Promise<Page<string>>((resolve, reject) => calls.push({ query, cursor, resolve, reject }));
  return { calls, fetch };
}

describe('PagedList', () => {
  it('loads the first page, then follows the cursor and appends', async () => {
    const { calls, fetch } = controlledFetcher();
    const list = new PagedList<string, string>(fetch, '');
    const first = list.search();
    expect(list.loading()).toBe(true);
    calls[0]!.resolve({ items: ['a', 'b'], nextCursor: 'c1' });
    await first;
    expect(list.items()).toEqual(['a', 'b']);
    expect(list.hasMore()).toBe(true);

    const more = list.loadMore();
    expect(calls[1]).toMatchObject({ query: '', cursor: 'c1' });
    calls[1]!.resolve({ items: ['c'], nextCursor: null });
    await more;
    expect(list.items()).toEqual(['a', 'b', 'c']);
    expect(list.hasMore()).toBe(false);
    expect(list.loading()).toBe(false);

    await list.loadMore(); // at the end: asks nothing
    expect(calls).toHaveLength(2);
  });

  it('does not ask for the same page twice while one is loading', async () => {
    const { calls, fetch } = controlledFetcher();
    const list = new PagedList<string, string>(fetch, '');
    const first = list.search();
    calls[0]!.resolve({ items: ['a'], nextCursor: 'c1' });
    await first;
    void list.loadMore();
    void list.loadMore();
    expect(calls).toHaveLength(2);
  });

  it('starts over on a new search and drops the answer of the older one', async () => {
    const { calls, fetch } = controlledFetcher();
    const list = new PagedList<string, string>(fetch, '');
    const old = list.search('al');
    const latest = list.search('alice');
    calls[1]!.resolve({ items: ['alice'], nextCursor: null });
    await latest;
    calls[0]!.resolve({ items: ['albert', 'alfred'], nextCursor: 'c9' });
    await old;
    expect(list.query()).toBe('alice');
    expect(list.items()).toEqual(['alice']);
    expect(list.hasMore()).toBe(false);
    expect(list.loading()).toBe(false);
  });

  it('shows a failure, keeps what it had, and clears the failure on the next answer', async () => {
    const { calls, fetch } = controlledFetcher();
    const list = new PagedList<string, string>(fetch, '');
    const first = list.search();
    calls[0]!.resolve({ items: ['a'], nextCursor: 'c1' });
    await first;
    const more = list.loadMore();
    calls[1]!.reject(new Error('Invalid cursor'));
    await more;
    expect(list.error()).toBe('Invalid cursor');
    expect(list.items()).toEqual(['a']);
    expect(list.hasMore()).toBe(true);

    const retry = list.loadMore();
    expect(calls[2]!.cursor).toBe('c1');
    calls[2]!.resolve({ items: ['b'], nextCursor: null });
    await retry;
    expect(list.error()).toBeNull();
    expect(list.items()).toEqual(['a', 'b']);
  });

  it('updates and removes items in place', async () => {
    const { calls, fetch } = controlledFetcher();
    const list = new PagedList<{ id: string; blocked: boolean }, string>(
      (q, c) => fetch(q, c).then((p) => ({ ...p, items: p.items.map((id) => ({ id, blocked: false })) })),
      '',
    );
    const first = list.search();
    calls[0]!.resolve({ items: ['r1', 'r2'], nextCursor: null });
    await first;
    list.update((r) => r.id === 'r2', { blocked: true });
    expect(list.items()).toEqual([{ id: 'r1', blocked: false }, { id: 'r2', blocked: true }]);
    list.remove((r) => r.id === 'r1');
    expect(list.items().map((r) => r.id)).toEqual(['r2']);
  });
});
