import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { FileContent, SendMessageRequest, StoredMessage } from '@conclave/contracts';
import { encryptFile, encryptMessage, generateEpochKey, generateIdentity, exportPublicKeys } from '@conclave/crypto';
import { ClientConfigService } from '../client-config.service';
import { SessionService } from '../session.service';
import { ChatService } from './chat.service';
import { ConversationService } from './conversation.service';
import { DirectoryService } from './directory.service';
import { RoomKeysService } from './room-keys.service';
import { SocketRequestError, SocketService } from './socket.service';

const ROOM_ID = '0b8a3f8e-4a34-4b59-9d6e-2f0a2c1d9e01';
const ME = { id: '5f0c6a1e-8d7b-4c2a-9e3f-1a2b3c4d5e6f', username: 'ann' };

describe('ConversationService with files', () => {
  let conversation: ConversationService;
  let requests: SendMessageRequest[];
  let answers: Array<() => unknown>;
  let epochKey: CryptoKey;
  let identity: Awaited<ReturnType<typeof generateIdentity>>;
  let file: FileContent;
  let deliver: (message: StoredMessage) => void;

  beforeEach(async () => {
    requests = [];
    answers = [];
    epochKey = await generateEpochKey();
    identity = await generateIdentity();
    const publicKeys = await exportPublicKeys(identity);
    const fileId = crypto.randomUUID();
    const { descriptor } = await encryptFile(new TextEncoder().encode('notes') as Uint8Array<ArrayBuffer>, 'notes.txt', { roomId: ROOM_ID, fileId });
    file = { type: 'file', fileId, ...descriptor, sentAt: Date.now() };
    TestBed.configureTestingModule({
      providers: [
        { provide: SessionService, useValue: { user: signal(ME), keys: signal({ sig: identity.sig.privateKey }) } },
        {
          provide: ChatService,
          useValue: { onMessage: (handler: (message: StoredMessage) => void) => ((deliver = handler), () => undefined), onNotice: () => () => undefined, onEntered: () => () => undefined, entered: signal({ ROOM: { roomId: ROOM_ID } }), markRead: () => undefined, rooms: signal([]) },
        },
        {
          provide: SocketService,
          useValue: {
            connected: true,
            request: async (_event: string, payload: SendMessageRequest | { roomId: string }) => {
              if (!('ct' in payload)) return { messages: [], notices: [], more: false };
              requests.push(payload);
              return answers.shift()!();
            },
          },
        },
        {
          provide: RoomKeysService,
          useValue: { version: signal(0), key: () => epochKey, currentEpoch: () => 1, keyForSending: async () => ({ epoch: 1, key: epochKey }), setCurrentEpoch: () => undefined, arrived: async () => undefined },
        },
        { provide: ClientConfigService, useValue: { messageChars: signal(150) } },
        { provide: DirectoryService, useValue: { lookup: async () => ({ userId: ME.id, username: ME.username, publicKeys }) } },
      ],
    });
    conversation = TestBed.inject(ConversationService);
    await conversation.open(ROOM_ID);
  });

  const settled = async (state: string) => {
    for (let i = 0; i < 200 && conversation.lines()[0]?.state !== state; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    return conversation.lines()[0];
  };

  it('sends a file message with its fileId, and keeps the fileId when a retry re-encrypts it', async () => {
    answers.push(
      () => {
        throw new SocketRequestError({ event: 'message:send', code: 'stale-epoch', message: 'The room moved on', currentEpoch: 1 });
      },
      () => ({ seq: 7, createdAt: new Date().toISOString() }),
    );
    conversation.sendFile(ROOM_ID, file);
    const line = await settled('ok');
    expect(line).toMatchObject({ state: 'ok', seq: 7, file, mine: true });
    expect(requests).toHaveLength(2);
    expect(requests.map((r) => r.fileId)).toEqual([file.fileId, file.fileId]);
    expect(requests[0]!.clientMsgId).toBe(requests[1]!.clientMsgId);
  });

  it('shows the server’s refusal of the file (file-unavailable) on the line', async () => {
    answers.push(() => {
      throw new SocketRequestError({ event: 'message:send', code: 'file-unavailable', message: 'That file is not yours to send, or is already sent' });
    });
    conversation.sendFile(ROOM_ID, file);
    await expect(settled('failed')).resolves.toMatchObject({ problem: 'That file is not yours to send, or is already sent' });
  });

  /** A file message arriving from the server, which records `fileId` for it. */
  async function receive(seq: number, fileId: string | undefined) {
    const envelope = await encryptMessage({ roomId: ROOM_ID, senderId: ME.id, epoch: 1, epochKey, senderSig: identity.sig.privateKey, content: file });
    deliver({ ...envelope, senderId: ME.id, seq, createdAt: new Date().toISOString(), ...(fileId ? { fileId } : {}) });
    for (let i = 0; i < 200 && !conversation.lines().some((l) => l.seq === seq); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    return conversation.lines().find((l) => l.seq === seq);
  }

  it('shows a received file message only when the server’s fileId is its content’s', async () => {
    await expect(receive(3, file.fileId)).resolves.toMatchObject({ state: 'ok', file });
    for (const [seq, recorded] of [[4, undefined], [5, crypto.randomUUID()]] as const) {
      const line = await receive(seq, recorded);
      expect(line).toMatchObject({ state: 'bad-file', problem: '“notes.txt” failed its integrity check (the server names another file) and is not shown' });
      expect(line).not.toHaveProperty('file');
    }
  });
});
