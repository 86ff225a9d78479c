import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { SessionService } from '../session.service';
import { type DesktopPermission, DesktopNotifier } from './desktop-notifier';
import { DEFAULT_NOTIFICATION_SETTINGS, NotificationSettingsService, parseSettings } from './notification-settings.service';

class FakeNotifier {
  readonly permission = signal<DesktopPermission>('default');
  answer: DesktopPermission = 'granted';
  asked = 0;
  async request() {
    this.asked++;
    this.permission.set(this.answer);
    return this.answer;
  }
}

describe('NotificationSettingsService', () => {
  let notifier: FakeNotifier;
  let user: ReturnType<typeof signal<{ id: string; username: string } | null>>;
  let settings: NotificationSettingsService;

  beforeEach(() => {
    localStorage.clear();
    notifier = new FakeNotifier();
    user = signal<{ id: string; username: string } | null>({ id: 'ann-id', username: 'ann' });
    TestBed.configureTestingModule({ providers: [{ provide: DesktopNotifier, useValue: notifier }, { provide: SessionService, useValue: { user } }] });
    settings = TestBed.inject(NotificationSettingsService);
  });

  it('is off until the user opts in, and turns on only once the browser allows it', async () => {
    expect(settings.settings()).toEqual(DEFAULT_NOTIFICATION_SETTINGS);
    expect(settings.active()).toBe(false);
    notifier.answer = 'denied';
    await expect(settings.enable()).resolves.toBe(false);
    expect(settings.settings().desktop).toBe(false);
    notifier.answer = 'granted';
    await expect(settings.enable()).resolves.toBe(true);
    expect(notifier.asked).toBe(2);
    expect(settings.active()).toBe(true);
    settings.disable();
    expect(settings.active()).toBe(false);
  });

  it('stores the choices in this browser, per account, and reads them back after sign-out and in again', async () => {
    await settings.enable();
    settings.update({ preview: 'private', level: 'mentions' });
    expect(JSON.parse(localStorage.getItem('conclave.notifications.ann-id')!)).toEqual({ desktop: true, preview: 'private', level: 'mentions' });
    user.set({ id: 'ben-id', username: 'ben' });
    expect(settings.settings()).toEqual(DEFAULT_NOTIFICATION_SETTINGS);
    user.set(null);
    settings.update({ desktop: true }); // nobody signed in: nothing stored
    expect(localStorage.length).toBe(1);
    user.set({ id: 'ann-id', username: 'ann' });
    expect(settings.settings()).toEqual({ desktop: true, preview: 'private', level: 'mentions' });
  });

  it('follows a change made in another tab', () => {
    expect(settings.settings().preview).toBe('text');
    localStorage.setItem('conclave.notifications.ann-id', JSON.stringify({ desktop: true, preview: 'private', level: 'all' }));
    window.dispatchEvent(new StorageEvent('storage', { key: 'conclave.notifications.ann-id' }));
    expect(settings.settings().preview).toBe('private');
  });

  it('keeps only known values of what is stored', () => {
    expect(parseSettings(null)).toEqual(DEFAULT_NOTIFICATION_SETTINGS);
    expect(parseSettings('not json')).toEqual(DEFAULT_NOTIFICATION_SETTINGS);
    expect(parseSettings('"text"')).toEqual(DEFAULT_NOTIFICATION_SETTINGS);
    expect(parseSettings('{"desktop":"yes","preview":"everything","level":"none"}')).toEqual(DEFAULT_NOTIFICATION_SETTINGS);
    expect(parseSettings('{"desktop":true,"preview":"private","level":"mentions"}')).toEqual({ desktop: true, preview: 'private', level: 'mentions' });
  });
});
