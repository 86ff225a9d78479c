import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { DesktopNotifier } from '../../core/notifications/desktop-notifier';
import { type NotificationLevel, type NotificationPreview, NotificationSettingsService } from '../../core/notifications/notification-settings.service';

/** The account screen's notification settings: the opt-in, what a notification shows, which messages notify. */
@Component({
  selector: 'cv-notification-settings',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2 id="notifications-heading">Notifications</h2>
    <p class="hint">
      The tab title always shows how many messages you have not read, and the room you are in. Desktop notifications
      are decrypted in this browser and are set for this browser only.
    </p>
    <div role="group" aria-labelledby="notifications-heading">
      @switch (permission()) {
        @case ('unsupported') {
          <p class="hint">This browser cannot show desktop notifications from a page.</p>
        }
        @case ('denied') {
          <p class="form-error" role="status">Notifications are blocked for this site: allow them in your browser's site settings, then come back here.</p>
        }
        @default {
          @if (notifications.active()) {
            <p role="status" class="notifications-state">Desktop notifications are on in this browser.</p>
            <button class="button small" type="button" (click)="notifications.disable()">Turn off desktop notifications</button>
          } @else {
            <p role="status" class="notifications-state">Desktop notifications are off in this browser.{{ asking() ? ' Answer your browser’s question…' : '' }}</p>
            <button class="button small" type="button" [disabled]="asking()" (click)="enable()">Turn on desktop notifications</button>
          }
        }
      }
      <fieldset>
        <legend>A notification shows</legend>
        <label class="choice">
          <input type="radio" name="notification-preview" value="text" [checked]="settings().preview === 'text'" (change)="preview('text')" />
          Who wrote and the message text
        </label>
        <label class="choice">
          <input type="radio" name="notification-preview" value="private" [checked]="settings().preview === 'private'" (change)="preview('private')" />
          Only “New message in ROOM” (nothing of the message on your screen)
        </label>
      </fieldset>
      <fieldset>
        <legend>Notify me about</legend>
        <label class="choice">
          <input type="radio" name="notification-level" value="all" [checked]="settings().level === 'all'" (change)="level('all')" />
          Every message in a room I am not looking at
        </label>
        <label class="choice">
          <input type="radio" name="notification-level" value="mentions" [checked]="settings().level === 'mentions'" (change)="level('mentions')" />
          Only messages that &#64;mention me
        </label>
      </fieldset>
    </div>
  `,
})
export class NotificationSettingsComponent {
  protected readonly notifications = inject(NotificationSettingsService);
  protected readonly settings = this.notifications.settings;
  protected readonly permission = inject(DesktopNotifier).permission;
  protected readonly asking = signal(false);

  constructor() {
    // Allowed or blocked in the browser's site settings since the last visit.
    inject(DesktopNotifier).refresh();
  }

  protected async enable(): Promise<void> {
    this.asking.set(true);
    try {
      await this.notifications.enable();
    } finally {
      this.asking.set(false);
    }
  }

  protected preview(preview: NotificationPreview): void {
    this.notifications.update({ preview });
  }

  protected level(level: NotificationLevel): void {
    this.notifications.update({ level });
  }
}
