import { computed, DestroyRef, inject, type Signal, signal } from '@angular/core';
import type { TimedNotice } from './chat.service';

/** How often the count is looked at again: a second changes within this of its true moment. */
const TICK_MS = 200;

/**
 * Seconds left of a timed notice, counting down while it lasts (0 when over or absent). A new
 * notice is counted from the moment it arrives, not from the last tick: "wait 1 second" shows 1,
 * never 2. Must be called in an injection context.
 */
export function secondsLeft(notice: Signal<TimedNotice | null>): Signal<number> {
  const tick = signal(0);
  const timer = setInterval(() => tick.update((n) => n + 1), TICK_MS);
  inject(DestroyRef).onDestroy(() => clearInterval(timer));
  return computed(() => {
    tick();
    const until = notice()?.until;
    return until ? Math.max(0, Math.ceil((until - Date.now()) / 1000)) : 0;
  });
}
