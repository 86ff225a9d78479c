import { TestBed } from '@angular/core/testing';
import { DesktopNotifier } from './desktop-notifier';

/** The Notification API as a page sees it: a permission, a prompt, and notices made with `new`. */
class FakeNotification extends EventTarget {
  static permission: NotificationPermission = 'default';
  static answer: NotificationPermission = 'granted';
  static made: FakeNotification[] = [];
  static throws = false;
  static async requestPermission() {
    FakeNotification.permission = FakeNotification.answer;
    return FakeNotification.answer;
  }
  onclick: ((event: Event) => void) | null = null;
  closed = false;
  constructor(
    readonly title: string,
    readonly options: NotificationOptions,
  ) {
    super();
    if (FakeNotification.throws) throw new TypeError("Failed to construct 'Notification': Illegal constructor. Use ServiceWorkerRegistration.showNotification() instead.");
    this.addEventListener('click', (event) => this.onclick?.(event));
    FakeNotification.made.push(this);
  }
  close() {
    this.closed = true;
  }
}

describe('DesktopNotifier', () => {
  beforeEach(() => {
    FakeNotification.permission = 'default';
    FakeNotification.answer = 'granted';
    FakeNotification.made = [];
    FakeNotification.throws = false;
    vi.stubGlobal('Notification', FakeNotification);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('asks for the permission and follows a change made in the browser’s site settings', async () => {
    const notifier = TestBed.inject(DesktopNotifier);
    expect(notifier.permission()).toBe('default');
    await expect(notifier.request()).resolves.toBe('granted');
    expect(notifier.permission()).toBe('granted');
    FakeNotification.permission = 'denied';
    expect(notifier.refresh()).toBe('denied');
    expect(notifier.permission()).toBe('denied');
  });

  it('shows nothing without the permission', () => {
    const notifier = TestBed.inject(DesktopNotifier);
    expect(notifier.show({ title: 'New message in Side', body: '' }, () => undefined)).toBeNull();
    expect(FakeNotification.made).toEqual([]);
  });

  it('shows a notice whose click closes it and runs the action', () => {
    FakeNotification.permission = 'granted';
    const notifier = TestBed.inject(DesktopNotifier);
    let clicked = 0;
    vi.spyOn(window, 'focus').mockImplementation(() => undefined);
    notifier.show({ title: 'ann mentioned you in Side', body: '@ben look', sticky: true }, () => clicked++);
    const [made] = FakeNotification.made;
    expect(made!.title).toBe('ann mentioned you in Side');
    expect(made!.options).toEqual(expect.objectContaining({ body: '@ben look', requireInteraction: true, tag: undefined }));
    made!.dispatchEvent(new Event('click', { cancelable: true }));
    expect(clicked).toBe(1);
    expect(made!.closed).toBe(true);
    expect(window.focus).toHaveBeenCalled();
  });

  it('returns null where a page cannot make notifications (phone browsers want a service worker)', () => {
    FakeNotification.permission = 'granted';
    FakeNotification.throws = true;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(TestBed.inject(DesktopNotifier).show({ title: 't', body: '' }, () => undefined)).toBeNull();
    expect(warn).toHaveBeenCalled();
  });

  it('says so where the browser has no Notification API', () => {
    vi.stubGlobal('Notification', undefined);
    const notifier = TestBed.inject(DesktopNotifier);
    expect(notifier.supported).toBe(false);
    expect(notifier.permission()).toBe('unsupported');
  });
});
