import { computed, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import type { MessageContent, RoomSummary, StoredMessage } from '@conclave/contracts';
import { ChatService } from '../chat/chat.service';
import { DirectoryService } from '../chat/directory.service';
import { RoomKeysService } from '../chat/room-keys.service';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';
import { type DesktopNotice, DesktopNotifier } from './desktop-notifier';
import { type NotificationSettings, NotificationSettingsService } from './notification-settings.service';
import { noticeFor, NOTICE_TEXT_CHARS, NotificationService } from './notification.service';
import { PageVisibility } from './page-visibility';
import { TabTitleStrategy, tabTitle } from './tab-title.strategy';

const room = (id: string, name: string, unread = 0): RoomSummary => ({
  id,
  code: id.toUpperCase(),
  name,
  history: 'shared',
  maxMembers: 10,
  hasPassword: false,
  memberCount: 2,
  role: 'member',
  currentEpoch: 1,
  unread,
});

class FakeChat {
  readonly rooms = signal([room('team', 'Team'), room('side', 'Side')]);
  readonly activeCode = signal<string | null>('TEAM');
  readonly activeRoom = computed(() => this.rooms().find((r) => r.code === this.activeCode()) ?? null);
  private handler?: (message: StoredMessage) => void;
  onMessage(handler: (message: StoredMessage) => void) {
    this.handler = handler;
    return () => (this.handler = undefined);
  }
  /** As ChatService.received: handlers first, then the unread count of a room not on screen. */
  deliver(message: StoredMessage) {
    this.handler?.(message);
    if (this.activeRoom()?.id !== message.roomId && message.senderId !== 'ben-id')
      this.rooms.update((rooms) => rooms.map((r) => (r.id === message.roomId ? { ...r, unread: r.unread + 1 } : r)));
  }
}

class FakeNotifier {
  readonly shown: Array<DesktopNotice & { closed: boolean; click(): void }> = [];
  show(notice: DesktopNotice, onClick: () => void) {
    const entry = { ...notice, closed: false, click: onClick, close: () => (entry.closed = true), addEventListener: () => undefined };
    this.shown.push(entry);
    return entry as unknown as Notification;
  }
}

/** The "ciphertext" of these tests is the JSON content itself; a sig of "forged" fails to verify. */
class FakeCrypto {
  async decryptMessage(message: StoredMessage): Promise<MessageContent> {
    if (message.sig === 'forged') throw new Error('bad signature');
    return JSON.parse(message.ct) as MessageContent;
  }
}

let seq = 0;
const message = (roomId: string, senderId: string, content: MessageContent | string, sig = 'ok'): StoredMessage =>
  ({ roomId, senderId, seq: ++seq, epoch: 1, clientMsgId: `m${seq}`, iv: '', sig, createdAt: new Date().toISOString(), ct: typeof content === 'string' ? JSON.stringify({ type: 'text', body: content, sentAt: 0 }) : JSON.stringify(content) }) as StoredMessage;

const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  TestBed.tick();
};

describe('NotificationService', () => {
  let chat: FakeChat;
  let notifier: FakeNotifier;
  let hidden: ReturnType<typeof signal<boolean>>;
  let settings: ReturnType<typeof signal<NotificationSettings>>;
  let permission: ReturnType<typeof signal<string>>;
  let keyKnown: boolean;
  let navigated: unknown[];
  let titles: TabTitleStrategy;

  beforeEach(() => {
    chat = new FakeChat();
    notifier = new FakeNotifier();
    hidden = signal(false);
    settings = signal<NotificationSettings>({ desktop: true, preview: 'text', level: 'all' });
    permission = signal('granted');
    keyKnown = true;
    navigated = [];
    TestBed.configureTestingModule({
      providers: [
        { provide: ChatService, useValue: chat },
        { provide: SessionService, useValue: { user: signal({ id: 'ben-id', username: 'ben' }) } },
        { provide: RoomKeysService, useValue: { key: () => (keyKnown ? ({} as CryptoKey) : undefined) } },
        { provide: CryptoService, useValue: new FakeCrypto() },
        { provide: DirectoryService, useValue: { lookup: async (id: string) => ({ userId: id, username: id.replace('-id', ''), publicKeys: { enc: '', sig: '' } }) } },
        { provide: NotificationSettingsService, useValue: { settings, active: computed(() => settings().desktop && permission() === 'granted') } },
        { provide: DesktopNotifier, useValue: notifier },
        { provide: PageVisibility, useValue: { hidden } },
        { provide: Router, useValue: { navigate: async (commands: unknown[]) => navigated.push(commands) } },
      ],
    });
    titles = TestBed.inject(TabTitleStrategy);
    TestBed.inject(NotificationService);
    TestBed.tick();
  });

  it('puts the unread total and the room on screen in the tab title', async () => {
    expect(titles.text()).toBe('Team · Conclave');
    chat.deliver(message('side', 'ann-id', 'over here'));
    chat.deliver(message('side', 'ann-id', 'and here'));
    await settle();
    expect(titles.text()).toBe('(2) Team · Conclave');
    expect(document.title).toBe('(2) Team · Conclave');
    chat.activeCode.set(null);
    titles.routeTitle.set('Account · Conclave');
    TestBed.tick();
    expect(titles.text()).toBe('(2) Account · Conclave');
  });

  it('counts messages of the room on screen while the tab is hidden, until it is seen again', async () => {
    hidden.set(true);
    chat.deliver(message('team', 'ann-id', 'while away'));
    await settle();
    expect(titles.text()).toBe('(1) Team · Conclave');
    hidden.set(false);
    TestBed.tick();
    expect(titles.text()).toBe('Team · Conclave');
  });

  it('notifies with the sender and the decrypted text for another room, and the click opens that room', async () => {
    chat.deliver(message('side', 'ann-id', 'over **here**'));
    await settle();
    expect(notifier.shown).toEqual([expect.objectContaining({ title: 'ann in Side', body: 'over **here**', tag: 'conclave-room-SIDE' })]);
    notifier.shown[0]!.click();
    expect(navigated).toEqual([['/rooms', 'SIDE']]);
  });

  it('notifies for the room on screen only while the tab is hidden, and closes those notifications when it is seen', async () => {
    chat.deliver(message('team', 'ann-id', 'seen already'));
    await settle();
    expect(notifier.shown).toEqual([]);
    hidden.set(true);
    TestBed.tick();
    chat.deliver(message('team', 'ann-id', 'while away'));
    await settle();
    expect(notifier.shown.map((n) => n.body)).toEqual(['while away']);
    hidden.set(false);
    TestBed.tick();
    expect(notifier.shown[0]!.closed).toBe(true);
  });

  it('never notifies for one’s own messages (from another device), nor when off or not allowed', async () => {
    hidden.set(true);
    chat.deliver(message('side', 'ben-id', 'from my phone'));
    settings.update((s) => ({ ...s, desktop: false }));
    chat.deliver(message('side', 'ann-id', 'while off'));
    settings.update((s) => ({ ...s, desktop: true }));
    permission.set('denied');
    chat.deliver(message('side', 'ann-id', 'while denied'));
    await settle();
    expect(notifier.shown).toEqual([]);
  });

  it('in the private mode says only "New message in ROOM", without reading the message', async () => {
    settings.update((s) => ({ ...s, preview: 'private' }));
    const decrypt = vi.spyOn(TestBed.inject(CryptoService), 'decryptMessage');
    chat.deliver(message('side', 'ann-id', 'the secret plan'));
    await settle();
    expect(notifier.shown).toEqual([expect.objectContaining({ title: 'New message in Side', body: '' })]);
    expect(decrypt).not.toHaveBeenCalled();
    // An edit, routed with editOf, is no new message even unread.
    chat.deliver({ ...message('side', 'ann-id', 'the secret plan, edited'), editOf: 4 });
    await settle();
    expect(notifier.shown).toHaveLength(1);
  });

  it('says only "New message in ROOM" for a message this browser cannot read or verify', async () => {
    keyKnown = false;
    chat.deliver(message('side', 'ann-id', 'no key yet'));
    await settle();
    keyKnown = true;
    chat.deliver(message('side', 'ann-id', 'forged text', 'forged'));
    await settle();
    expect(notifier.shown.map((n) => [n.title, n.body])).toEqual([
      ['New message in Side', ''],
      ['New message in Side', ''],
    ]);
  });

  it('notifies a mention of me in its own words, kept on screen; with "only @mentions" nothing else notifies', async () => {
    settings.update((s) => ({ ...s, level: 'mentions' }));
    chat.deliver(message('side', 'ann-id', 'hello all'));
    chat.deliver(message('side', 'ann-id', 'mail ann@ben.example'));
    chat.deliver(message('side', 'ann-id', 'hi @benjamin'));
    chat.deliver(message('side', 'ann-id', 'look @Ben'));
    await settle();
    expect(notifier.shown).toEqual([expect.objectContaining({ title: 'ann mentioned you in Side', body: 'look @Ben', sticky: true })]);
    expect(notifier.shown[0]!.tag).toBeUndefined();
  });

  it('names a file, and does not notify for content that is no message of its own', async () => {
    chat.deliver(message('side', 'ann-id', { type: 'file', name: 'plan.pdf' } as unknown as MessageContent));
    chat.deliver(message('side', 'ann-id', { type: 'edit', body: 'fixed' } as unknown as MessageContent));
    await settle();
    expect(notifier.shown.map((n) => n.body)).toEqual(['📎 plan.pdf']);
  });
});

describe('notification texts', () => {
  const side = { code: 'SIDE', name: 'Side' };
  const text = (body: string) => ({ sender: 'ann', content: { type: 'text' as const, body, sentAt: 0 } });

  it('cuts a long text', () => {
    const long = 'é'.repeat(NOTICE_TEXT_CHARS + 10);
    expect(noticeFor(side, text(long), false, 'text').body).toBe(`${'é'.repeat(NOTICE_TEXT_CHARS)}…`);
  });

  it('hides the sender, the text and the mention in the private mode', () => {
    expect(noticeFor(side, text('@ben secret'), true, 'private')).toEqual({ title: 'New message in Side', body: '', tag: 'conclave-room-SIDE' });
  });

  it('builds the tab title', () => {
    expect(tabTitle('Sign in · Conclave', null)).toBe('Sign in · Conclave');
    expect(tabTitle('Room · Conclave', { unread: 0, room: 'Team' })).toBe('Team · Conclave');
    expect(tabTitle('Room · Conclave', { unread: 12, room: 'Team' })).toBe('(12) Team · Conclave');
    expect(tabTitle('Conclave', { unread: 3, room: null })).toBe('(3) Conclave');
  });
});
