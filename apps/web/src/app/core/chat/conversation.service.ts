import { effect, inject, Injectable, signal, untracked } from '@angular/core';
import { CHAT_EVENTS, type EnterRoomResult, type FileContent, LIMITS, type SendMessageRequest, type StoredMessage } from '@conclave/contracts';
import { DecryptionError, MalformedPlaintextError, SignatureError } from '@conclave/crypto';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';
import { ChatService } from './chat.service';
import { DirectoryService } from './directory.service';
import { RoomKeysService } from './room-keys.service';
import { SocketRequestError, SocketService } from './socket.service';

/** How a line of the conversation stands. */
export type LineState =
  | 'sending' // in the outbox
  | 'waiting-key' // in the outbox, waiting for a member to share the room key
  | 'rate-limited' // in the outbox, waiting for the rate limit to pass
  | 'failed' // refused; the reason is in `problem`
  | 'ok' // sent and stored, or received, decrypted and signed by its sender
  | 'no-key' // received under an epoch this browser holds no key for (yet)
  | 'bad-signature' // the signature does not verify: not shown, never trusted
  | 'bad-file' // a file message whose server record names another file than its content: not shown
  | 'undecryptable'; // authentic envelope, but it does not decrypt or is not a valid message

export interface ChatLine {
  /** The message's clientMsgId. */
  id: string;
  seq?: number;
  senderId: string;
  senderName: string;
  epoch?: number;
  createdAt: string;
  state: LineState;
  body?: string;
  /** A file message's content (name, size, type, and what fetches and checks the file). */
  file?: FileContent;
  problem?: string;
  mine: boolean;
  /** Kept to try again when a missing key arrives. */
  stored?: StoredMessage;
  /**
   * A membership line ("NAME joined" / "left" / "was removed"), not a message: senderId/senderName
   * name the member concerned, and it has no body (docs/protocol.md, membership lines).
   */
  event?: MembershipChange;
  /** The sender edited it: body is the newest edit's (docs/protocol.md, edits). */
  edited?: boolean;
  /** The sender deleted it: the server holds no ciphertext any more; only the marker is shown. */
  deleted?: boolean;
  /** It @mentions the signed-in user (set by markMentions in mentions.ts): highlighted. */
  mentionsMe?: boolean;
}

/** What a membership line says happened to its member. */
export type MembershipChange = 'joined' | 'left' | 'removed';

/** A message in the outbox: a text, or a file message naming its uploaded file (kept for every retry). */
type Outgoing = { roomId: string; clientMsgId: string } & ({ body: string; file?: undefined } | { file: FileContent; body?: undefined });

/**
 * The last seq of the unbroken run that starts at the oldest one shown: where a resync starts.
 * Not simply the newest: with several instances (docs/deployment.md) a message stored by another
 * instance can arrive after a later one stored by this one, and a connection lost in between
 * would otherwise skip it for good. Seqs have no holes on the server (docs/protocol.md §9).
 */
export function lastUnbroken(seqs: ReadonlyArray<number | undefined>): number {
  const known = [...new Set(seqs.filter((seq): seq is number => seq !== undefined))].sort((a, b) => a - b);
  let last = known[0] ?? 0;
  for (const seq of known.slice(1)) {
    if (seq !== last + 1) break;
    last = seq;
  }
  return last;
}

/** Says whether a body may be sent: 1–150 code points, not only whitespace. */
export function bodyProblem(body: string, count: (text: string) => number): string | null {
  if (!body.trim()) return 'Type a message first';
  const length = count(body);
  return length > LIMITS.messageBodyChars ? `Too long: ${length} of ${LIMITS.messageBodyChars} characters` : null;
}

/**
 * The conversation on screen: history in keyset pages (newest first, older on demand), live
 * messages, decryption with signature checks, and an outbox that survives rate limits, key
 * rotations ('stale-epoch', 'rotation-pending'), missing keys ('no-key') and reconnections.
 */
@Injectable({ providedIn: 'root' })
export class ConversationService {
  private readonly chat = inject(ChatService);
  private readonly socket = inject(SocketService);
  private readonly keys = inject(RoomKeysService);
  private readonly crypto = inject(CryptoService);
  private readonly session = inject(SessionService);
  private readonly directory = inject(DirectoryService);

  readonly roomId = signal<string | null>(null);
  readonly lines = signal<ChatLine[]>([]);
  readonly more = signal(false);
  readonly loading = signal(false);
  readonly error = signal<string | null>(null);

  private readonly outbox: Outgoing[] = [];
  private sending = false;
  private generation = 0;

  constructor() {
    this.chat.onMessage((message) => void this.incoming(message));
    this.chat.onEntered((room) => void this.reentered(room));
    // Keys arrived (shared, rotated): try the lines that were waiting for one.
    effect(() => {
      this.keys.version();
      untracked(() => void this.retryUndecrypted());
    });
  }

  /** Shows a room: its newest page of history once it is entered. */
  async open(roomId: string): Promise<void> {
    if (this.roomId() === roomId) return;
    const generation = ++this.generation;
    this.roomId.set(roomId);
    this.lines.set([]);
    this.more.set(false);
    this.error.set(null);
    if (this.isEntered(roomId)) await this.loadPage(generation);
  }

  close(): void {
    this.generation++;
    this.roomId.set(null);
    this.lines.set([]);
  }

  /** The next older page (scrolling up). */
  async loadOlder(): Promise<void> {
    if (!this.more() || this.loading()) return;
    const oldest = this.lines().find((l) => l.seq !== undefined)?.seq;
    await this.loadPage(this.generation, oldest);
  }

  /** Queues a message: encrypted under the room's current epoch when its turn comes. */
  send(body: string): void {
    const roomId = this.roomId();
    const me = this.session.user();
    if (!roomId || !me) return;
    const problem = bodyProblem(body, (t) => this.crypto.characterCount(t));
    if (problem) throw new Error(problem);
    const item: Outgoing = { roomId, clientMsgId: globalThis.crypto.randomUUID(), body };
    this.outbox.push(item);
    this.upsert({ id: item.clientMsgId, senderId: me.id, senderName: me.username, createdAt: new Date().toISOString(), state: 'sending', body, mine: true });
    void this.drain();
  }

  /**
   * Queues the message that carries an uploaded file (docs/protocol.md §10.2) in `roomId`'s outbox:
   * the upload may end after the user moved to another room.
   */
  sendFile(roomId: string, file: FileContent): void {
    const me = this.session.user();
    if (!me) return;
    const item: Outgoing = { roomId, clientMsgId: globalThis.crypto.randomUUID(), file };
    this.outbox.push(item);
    if (roomId === this.roomId()) this.upsert({ id: item.clientMsgId, senderId: me.id, senderName: me.username, createdAt: new Date().toISOString(), state: 'sending', file, mine: true });
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.outbox.length) {
        const item = this.outbox[0]!;
        if (await this.trySend(item)) this.outbox.shift();
      }
    } finally {
      this.sending = false;
    }
  }

  /** One attempt; false means "try the same message again". */
  private async trySend(item: Outgoing): Promise<boolean> {
    const me = this.session.user();
    const keys = this.session.keys();
    if (!me || !keys) return true;
    if (!this.keys.key(item.roomId, this.keys.currentEpoch(item.roomId) ?? 0)) this.mark(item, 'waiting-key');
    const { epoch, key } = await this.keys.keyForSending(item.roomId);
    if (!this.socket.connected || !this.isEntered(item.roomId)) {
      // Offline, or back but not in the room yet: the server refuses a send before the room is entered again.
      this.mark(item, 'sending');
      await new Promise<void>((resolve) => {
        const off = this.chat.onEntered((room) => room.roomId === item.roomId && queueMicrotask(() => (off(), resolve())));
      });
      return false;
    }
    this.mark(item, 'sending');
    const sealing = { roomId: item.roomId, senderId: me.id, epoch, epochKey: key, senderSig: keys.sig, clientMsgId: item.clientMsgId };
    const request: SendMessageRequest = item.file
      ? { ...(await this.crypto.encryptFileMessage({ ...sealing, content: item.file })), fileId: item.file.fileId }
      : await this.crypto.encryptText({ ...sealing, body: item.body });
    try {
      const result = await this.socket.request(CHAT_EVENTS.send, request);
      this.patch(item.clientMsgId, { state: 'ok', seq: result.seq, createdAt: result.createdAt, epoch, problem: undefined });
      this.chat.markRead(item.roomId, result.seq);
      return true;
    } catch (err) {
      if (!(err instanceof SocketRequestError)) throw err;
      return this.refused(item, err);
    }
  }

  private async refused(item: Outgoing, err: SocketRequestError): Promise<boolean> {
    const currentEpoch = Number(err.error['currentEpoch'] ?? 0);
    switch (err.code) {
      case 'rate-limited': {
        this.mark(item, 'rate-limited');
        const wait = Number(err.error['retryAfterMs'] ?? 1000);
        await new Promise((resolve) => setTimeout(resolve, wait));
        return false;
      }
      case 'stale-epoch':
        // A member left and the room moved on: re-encrypt under the new epoch.
        this.keys.setCurrentEpoch(item.roomId, currentEpoch);
        await this.keys.arrived(item.roomId).catch(() => undefined);
        return false;
      case 'rotation-pending': {
        // A member left and nobody has made the next epoch yet: make it (or meet the one who did).
        const code = this.chat.rooms().find((r) => r.id === item.roomId)?.code;
        if (code) {
          const members = await this.chat.members(code, item.roomId).catch(() => []);
          await this.keys.rotate({ roomId: item.roomId, code, nextEpoch: currentEpoch + 1, members }).catch(() => undefined);
        } else this.keys.setCurrentEpoch(item.roomId, currentEpoch + 1);
        return false;
      }
      case 'no-key': {
        // This browser has no box for the room's current epoch: ask a member to share it.
        this.keys.setCurrentEpoch(item.roomId, currentEpoch);
        const code = this.chat.rooms().find((r) => r.id === item.roomId)?.code;
        if (code) await this.keys.ensure(item.roomId, currentEpoch, () => this.chat.members(code, item.roomId)).catch(() => undefined);
        return false;
      }
      case 'server-error':
        if (err.message === 'The server did not answer in time') return false;
        break;
    }
    this.patch(item.clientMsgId, { state: 'failed', problem: err.message });
    return true;
  }

  private mark(item: Outgoing, state: LineState): void {
    this.patch(item.clientMsgId, { state });
  }

  private isEntered(roomId: string): boolean {
    return Object.values(this.chat.entered()).some((r) => r.roomId === roomId);
  }

  private async reentered(room: EnterRoomResult): Promise<void> {
    if (room.roomId !== this.roomId()) return;
    const generation = this.generation;
    if (!this.lines().some((l) => l.stored || l.mine)) return this.loadPage(generation);
    // Back after a reconnection: fetch what was missed, from the first hole on.
    let afterSeq = lastUnbroken(this.lines().map((l) => l.seq));
    // Page by page (RESYNC_MAX each): a resync from an old hole may have more to fetch than one page.
    for (let more = true; more && generation === this.generation; ) {
      const page = await this.socket.request(CHAT_EVENTS.resync, { roomId: room.roomId, afterSeq }).catch(() => null);
      if (!page || generation !== this.generation) return;
      for (const message of page.messages) await this.show(message);
      more = page.more && page.messages.length > 0;
      afterSeq = page.messages.at(-1)?.seq ?? afterSeq;
    }
  }

  private async loadPage(generation: number, before?: number): Promise<void> {
    const roomId = this.roomId();
    if (!roomId) return;
    this.loading.set(true);
    try {
      const page = await this.socket.request(CHAT_EVENTS.history, before === undefined ? { roomId } : { roomId, before });
      if (generation !== this.generation) return;
      const lines = await Promise.all(page.messages.map((m) => this.decrypt(m)));
      if (generation !== this.generation) return;
      for (const line of lines) this.upsert(line);
      this.more.set(page.more);
      const newest = page.messages[0];
      if (before === undefined && newest) this.chat.markRead(roomId, newest.seq);
    } catch (err) {
      this.error.set(`History could not be loaded: ${(err as Error).message}`);
    } finally {
      this.loading.set(false);
    }
  }

  private async incoming(message: StoredMessage): Promise<void> {
    if (message.roomId !== this.roomId()) return;
    await this.show(message);
    this.chat.markRead(message.roomId, message.seq);
  }

  private async show(message: StoredMessage): Promise<void> {
    const line = await this.decrypt(message);
    if (message.roomId === this.roomId()) this.upsert(line);
  }

  /** A received message as a line: decrypted and signed, or said plainly why not. */
  private async decrypt(message: StoredMessage): Promise<ChatLine> {
    const me = this.session.user();
    const sender = await this.directory.lookup(message.senderId).catch(() => null);
    const line: ChatLine = {
      id: message.clientMsgId,
      seq: message.seq,
      senderId: message.senderId,
      senderName: sender?.username ?? 'unknown member',
      epoch: message.epoch,
      createdAt: message.createdAt,
      state: 'ok',
      mine: message.senderId === me?.id,
      stored: message,
    };
    const key = this.keys.key(message.roomId, message.epoch);
    if (!sender) return { ...line, state: 'undecryptable', problem: 'The sender’s keys could not be fetched' };
    if (!key) return { ...line, state: 'no-key', problem: `No key for epoch ${message.epoch} in this browser` };
    try {
      const content = await this.crypto.decryptMessage(message, key, sender.publicKeys);
      if (content.type === 'text') return { ...line, body: content.body };
      // The server's record of the blob is what its link checks use: another id than the content's is not this file.
      if (message.fileId !== content.fileId) return { ...line, state: 'bad-file', problem: `“${content.name}” failed its integrity check (the server names another file) and is not shown` };
      return { ...line, file: content };
    } catch (err) {
      if (err instanceof SignatureError) return { ...line, state: 'bad-signature', problem: 'Bad signature: this message may be forged and is not shown' };
      if (err instanceof DecryptionError || err instanceof MalformedPlaintextError) return { ...line, state: 'undecryptable', problem: 'This message could not be decrypted' };
      return { ...line, state: 'undecryptable', problem: (err as Error).message };
    }
  }

  private async retryUndecrypted(): Promise<void> {
    for (const line of this.lines()) {
      if (line.state === 'no-key' && line.stored && this.keys.key(line.stored.roomId, line.stored.epoch)) this.upsert(await this.decrypt(line.stored));
    }
  }

  /** Inserts or replaces a line; lines stay in sequence order, unsent ones last. */
  private upsert(line: ChatLine): void {
    this.lines.update((lines) => {
      const rest = lines.filter((l) => l.id !== line.id);
      const merged = [...rest, line];
      return merged.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
    });
  }

  private patch(id: string, changes: Partial<ChatLine>): void {
    const line = this.lines().find((l) => l.id === id);
    if (line) this.upsert({ ...line, ...changes });
  }
}
