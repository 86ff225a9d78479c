import { computed, effect, inject, Injectable, signal } from '@angular/core';
import { Title } from '@angular/platform-browser';
import { type RouterStateSnapshot, TitleStrategy } from '@angular/router';

export const APP_NAME = 'Conclave';

/** What the live chat adds to the tab title: the unread total and the room on screen. */
export interface LiveTitle {
  unread: number;
  /** The name of the room on screen, or null on another screen. */
  room: string | null;
}

/** "(3) Team · Conclave": the unread count first (a tab's title is cut at its end), then the room, or the screen's own title. */
export function tabTitle(routeTitle: string, live: LiveTitle | null): string {
  if (!live) return routeTitle;
  const base = live.room ? `${live.room} · ${APP_NAME}` : routeTitle;
  return live.unread > 0 ? `(${live.unread}) ${base}` : base;
}

/**
 * The tab title: each route's title (app.routes.ts), which the chat, while signed in, completes
 * with the unread count and the room's name (NotificationService sets `live`).
 */
@Injectable({ providedIn: 'root' })
export class TabTitleStrategy extends TitleStrategy {
  private readonly title = inject(Title);
  readonly routeTitle = signal(APP_NAME);
  readonly live = signal<LiveTitle | null>(null);
  readonly text = computed(() => tabTitle(this.routeTitle(), this.live()));

  constructor() {
    super();
    effect(() => this.title.setTitle(this.text()));
  }

  override updateTitle(snapshot: RouterStateSnapshot): void {
    this.routeTitle.set(this.buildTitle(snapshot) ?? APP_NAME);
  }
}
