import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { HistoryPage, MessageContent, RoomNotice, StoredMessage } from '@conclave/contracts';
import { editContent, encryptMessage, exportPublicKeys, generateEpochKey, generateIdentity, textContent } from '@conclave/crypto';
import { ClientConfigService } from '../client-config.service';
import { SessionService } from '../session.service';
import { ChatService } from './chat.service';
import { ConversationService } from './conversation.service';
import { DirectoryService } from './directory.service';
import { RoomKeysService } from './room-keys.service';
import { SocketService } from './socket.service';

const ROOM_ID = '0b8a3f8e-4a34-4b59-9d6e-2f0a2c1d9e01';
const ME = { id: '5f0c6a1e-8d7b-4c2a-9e3f-1a2b3c4d5e6f', username: 'ann' };
const BEN = { id: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', username: 'ben' };

/** Edits and deletions as the open conversation applies them (docs/protocol.md §9a–§9c), live, from history pages, in any order. */
describe('ConversationService: edits, deletions, membership lines', () => {
  let conversation: ConversationService;
  let epochKey: CryptoKey;
  let identities: Record<string, Awaited<ReturnType<typeof generateIdentity>>>;
  let deliver: (message: StoredMessage) => void;
  let notify: (notice: RoomNotice) => void;
  let history: HistoryPage;

  beforeEach(async () => {
    epochKey = await generateEpochKey();
    identities = { [ME.id]: await generateIdentity(), [BEN.id]: await generateIdentity() };
    const keysOf = { [ME.id]: await exportPublicKeys(identities[ME.id]!), [BEN.id]: await exportPublicKeys(identities[BEN.id]!) };
    history = { messages: [], notices: [], more: false };
    TestBed.configureTestingModule({
      providers: [
        { provide: SessionService, useValue: { user: signal(ME), keys: signal({ sig: identities[ME.id]!.sig.privateKey }) } },
        {
          provide: ChatService,
          useValue: {
            onMessage: (handler: typeof deliver) => ((deliver = handler), () => undefined),
            onNotice: (handler: typeof notify) => ((notify = handler), () => undefined),
            onEntered: () => () => undefined,
            entered: signal({ ROOM: { roomId: ROOM_ID } }),
            markRead: () => undefined,
            rooms: signal([]),
          },
        },
        { provide: SocketService, useValue: { connected: true, request: async () => history } },
        { provide: RoomKeysService, useValue: { version: signal(0), key: () => epochKey, currentEpoch: () => 1 } },
        { provide: ClientConfigService, useValue: { messageChars: signal(150) } },
        { provide: DirectoryService, useValue: { lookup: async (id: string) => ({ userId: id, username: id === ME.id ? ME.username : BEN.username, publicKeys: keysOf[id] }) } },
      ],
    });
    conversation = TestBed.inject(ConversationService);
  });

  let clock = 0;
  async function stored(senderId: string, seq: number, content: MessageContent, routedTo?: number): Promise<StoredMessage> {
    const envelope = await encryptMessage({ roomId: ROOM_ID, senderId, epoch: 1, epochKey, senderSig: identities[senderId]!.sig.privateKey, content });
    return { ...envelope, senderId, seq, createdAt: new Date(Date.UTC(2026, 11, 4, 10, 0, clock++)).toISOString(), ...(routedTo ? { editOf: routedTo } : {}) };
  }
  const notice = (n: Partial<RoomNotice> & Pick<RoomNotice, 'kind' | 'seq'>) => ({ roomId: ROOM_ID, createdAt: '2026-12-04T10:05:00.000Z', userId: BEN.id, ...n }) as RoomNotice;
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  const shown = () => conversation.lines().map((l) => [l.seq, l.event ?? (l.deleted ? 'deleted' : l.body), !!l.edited]);

  it('replaces a message by its sender’s newest edit, whatever order they arrive in, and ignores others’ edits', async () => {
    await conversation.open(ROOM_ID);
    deliver(await stored(BEN.id, 1, textContent('lunch at noon?')));
    deliver(await stored(BEN.id, 3, editContent(1, 'lunch at two?'), 1));
    deliver(await stored(BEN.id, 2, editContent(1, 'lunch at one?'), 1)); // older edit, later
    deliver(await stored(ME.id, 4, editContent(1, 'ann rewrites ben'), 1)); // not the sender's
    deliver(await stored(BEN.id, 5, editContent(1, 'moved by the server'), 6)); // routed elsewhere
    await settle();
    expect(shown().filter(([seq]) => seq !== 5)).toEqual([[1, 'lunch at two?', true]]);
    expect(conversation.lines().find((l) => l.seq === 5)?.state).toBe('undecryptable');
  });

  it('applies an edit that came before its original (an older page fetched later)', async () => {
    history = { messages: [await stored(BEN.id, 4, editContent(2, 'fixed'), 2)], notices: [notice({ kind: 'joined', seq: 1 })], more: true };
    await conversation.open(ROOM_ID);
    history = { messages: [await stored(BEN.id, 2, textContent('fxied'))], notices: [], more: false };
    await conversation.loadOlder();
    expect(shown()).toEqual([
      [1, 'joined', false],
      [2, 'fixed', true],
    ]);
  });

  it('shows a deletion by the sender as a marker, also one that arrives before its message; not one by someone else', async () => {
    await conversation.open(ROOM_ID);
    notify(notice({ kind: 'deletion', seq: 9, target: 3 }));
    deliver(await stored(BEN.id, 3, textContent('regret')));
    deliver(await stored(BEN.id, 4, textContent('keep')));
    deliver(await stored(ME.id, 5, textContent('mine')));
    await settle();
    notify(notice({ kind: 'deletion', seq: 10, target: 5 })); // ben cannot delete ann's message
    notify(notice({ kind: 'deletion', seq: 11, target: 4, userId: BEN.id }));
    await settle();
    expect(shown()).toEqual([
      [3, 'deleted', false],
      [4, 'deleted', false],
      [5, 'mine', false],
    ]);
  });

  it('reads history’s deleted places and membership lines in order, with nothing for an edit’s place or a deletion entry', async () => {
    history = {
      messages: [await stored(BEN.id, 5, textContent('still here'))],
      notices: [notice({ kind: 'joined', seq: 1 }), notice({ kind: 'deleted', seq: 2 }), notice({ kind: 'deleted', seq: 3, editOf: 2 }), notice({ kind: 'deletion', seq: 4, target: 2 }), notice({ kind: 'left', seq: 6 })],
      more: false,
    };
    await conversation.open(ROOM_ID);
    expect(shown()).toEqual([
      [1, 'joined', false],
      [2, 'deleted', false],
      [5, 'still here', false],
      [6, 'left', false],
    ]);
  });
});
