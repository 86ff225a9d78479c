import { computed, signal, type WritableSignal } from '@angular/core';
import type { Page } from '@conclave/contracts';

/** Fetches one page: the query, and the cursor of the page before (null for the first). */
export type PageFetcher<T, Q> = (query: Q, cursor: string | null) => Promise<Page<T>>;

/**
 * A keyset-paginated admin list as signals: search starts over from the first page, "load more"
 * follows nextCursor. An answer that arrives after a newer search began is dropped, so a slow first
 * search never overwrites a later one.
 */
export class PagedList<T, Q> {
  private readonly itemsState = signal<T[]>([]);
  private readonly cursor = signal<string | null>(null);
  private readonly loadingState = signal(false);
  private readonly errorState = signal<string | null>(null);
  private readonly queryState: WritableSignal<Q>;
  private readonly loadedState = signal(false);
  private generation = 0;

  readonly items = this.itemsState.asReadonly();
  readonly loading = this.loadingState.asReadonly();
  readonly error = this.errorState.asReadonly();
  /** The first page has arrived (an empty list then means "none", not "not yet"). */
  readonly loaded = this.loadedState.asReadonly();
  readonly hasMore = computed(() => this.cursor() !== null);

  private readonly fetchPage: PageFetcher<T, Q>;

  constructor(fetchPage: PageFetcher<T, Q>, initialQuery: Q) {
    this.fetchPage = fetchPage;
    this.queryState = signal(initialQuery);
  }

  /** The query the list shows. */
  query(): Q {
    return this.queryState();
  }

  /** Starts over from the first page with this query. */
  search(query: Q = this.queryState()): Promise<void> {
    this.generation++;
    this.queryState.set(query);
    this.itemsState.set([]);
    this.cursor.set(null);
    this.loadedState.set(false);
    return this.load(null);
  }

  /** The next page, when there is one and none is loading. */
  loadMore(): Promise<void> {
    const cursor = this.cursor();
    if (cursor === null || this.loadingState()) return Promise.resolve();
    return this.load(cursor);
  }

  /** Puts a changed item in place (after an action returned it). */
  update(matches: (item: T) => boolean, next: Partial<T>): void {
    this.itemsState.update((items) => items.map((item) => (matches(item) ? { ...item, ...next } : item)));
  }

  /** Takes an item out (e.g. a deleted room) without reloading. */
  remove(matches: (item: T) => boolean): void {
    this.itemsState.update((items) => items.filter((item) => !matches(item)));
  }

  private async load(cursor: string | null): Promise<void> {
    const generation = this.generation;
    this.loadingState.set(true);
    this.errorState.set(null);
    try {
      const page = await this.fetchPage(this.queryState(), cursor);
      if (generation !== this.generation) return;
      this.itemsState.update((items) => (cursor === null ? page.items : [...items, ...page.items]));
      this.cursor.set(page.nextCursor);
      this.loadedState.set(true);
    } catch (err) {
      if (generation === this.generation) this.errorState.set((err as Error).message);
    } finally {
      if (generation === this.generation) this.loadingState.set(false);
    }
  }
}
