import { computed, DestroyRef, inject, type Signal, signal } from '@angular/core';
import type { TimedNotice } from './chat.service';

/**
 * Seconds left of a timed notice, ticking once a second while it lasts (0 when over or absent).
 * Must be called in an injection context.
 */
export function secondsLeft(notice: Signal<TimedNotice | null>): Signal<number> {
  const now = signal(Date.now());
  const timer = setInterval(() => now.set(Date.now()), 1000);
  inject(DestroyRef).onDestroy(() => clearInterval(timer));
  return computed(() => {
    const until = notice()?.until;
    return until ? Math.max(0, Math.ceil((until - now()) / 1000)) : 0;
  });
}
