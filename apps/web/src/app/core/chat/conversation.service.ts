import { effect, inject, Injectable, signal, untracked } from '@angular/core';
import { CHAT_EVENTS, type EnterRoomResult, type FileContent, type HistoryPage, LIMITS, type RoomNotice, type SendMessageRequest, type StoredMessage } from '@conclave/contracts';
import { DecryptionError, MalformedPlaintextError, SignatureError } from '@conclave/crypto';
import { ClientConfigService } from '../client-config.service';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';
import { ChatService } from './chat.service';
import { asDeleted, deletes, type Edit, editOf, isNewer, noticeLine, withEdit } from './conversation-log';
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
   * name the member concerned, and it has no body (docs/protocol.md §9a).
   */
  event?: MembershipChange;
  /** The sender edited it: body is the newest edit's (docs/protocol.md §9b). */
  edited?: boolean;
  /** The sender deleted it: the server holds no ciphertext any more; only the marker is shown. */
  deleted?: boolean;
  /** It @mentions the signed-in user (set by markMentions in mentions.ts): highlighted. */
  mentionsMe?: boolean;
}

/** What a membership line says happened to its member. */
export type MembershipChange = 'joined' | 'left' | 'removed';

/**
 * A message in the outbox: a text (an edit of the text `editOf` when set), or a file message naming
 * its uploaded file (kept for every retry).
 */
type Outgoing = { roomId: string; clientMsgId: string } & ({ body: string; editOf?: number; file?: undefined } | { file: FileContent; body?: undefined; editOf?: undefined });

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

/** Says whether a body may be sent: 1 to `limit` code points (the deployment's message limit), not only whitespace. */
export function bodyProblem(body: string, count: (text: string) => number, limit: number = LIMITS.messageBodyChars): string | null {
  if (!body.trim()) return 'Type a message first';
  const length = count(body);
  return length > limit ? `Too long: ${length} of ${limit} characters` : null;
}

/** The highest seq of a page's entries, messages and notices alike. */
const newestOf = (page: HistoryPage) => Math.max(0, ...page.messages.map((m) => m.seq), ...page.notices.map((n) => n.seq));

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
  private readonly config = inject(ClientConfigService);

  readonly roomId = signal<string | null>(null);
  readonly lines = signal<ChatLine[]>([]);
  readonly more = signal(false);
  readonly loading = signal(false);
  readonly error = signal<string | null>(null);
  /** Messages of others the open room had unread when it was opened: where "New messages" goes. */
  readonly unreadAtOpen = signal(0);

  private readonly outbox: Outgoing[] = [];
  private sending = false;
  private generation = 0;
  /** The open room's edits, by the seq of the message each replaces (the newest kept). */
  private edits = new Map<number, Edit>();
  /** Seqs of messages deleted, should a page fetched before the deletion arrive after it. */
  private deletedSeqs = new Set<number>();
  /** Every log entry of the open room seen (messages, edits, notices): where a resync starts. */
  private logSeqs = new Set<number>();
  /** The oldest entry fetched: where the next older page starts (an edit or a deletion is no line). */
  private oldestFetched?: number;

  constructor() {
    this.chat.onMessage((message) => void this.incoming(message));
    this.chat.onNotice((notice) => void this.noticed(notice));
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
    this.unreadAtOpen.set(this.chat.rooms().find((r) => r.id === roomId)?.unread ?? 0);
    this.forgetLog();
    this.more.set(false);
    this.error.set(null);
    if (this.isEntered(roomId)) await this.loadPage(generation);
  }

  close(): void {
    this.generation++;
    this.roomId.set(null);
    this.forgetLog();
  }

  /** The next older page (scrolling up). */
  async loadOlder(): Promise<void> {
    if (!this.more() || this.loading()) return;
    await this.loadPage(this.generation, this.oldestFetched);
  }

  /** Queues a message: encrypted under the room's current epoch when its turn comes. */
  send(body: string): void {
    const roomId = this.roomId();
    const me = this.session.user();
    if (!roomId || !me) return;
    const problem = bodyProblem(body, (t) => this.crypto.characterCount(t), this.config.messageChars());
    if (problem) throw new Error(problem);
    const item: Outgoing = { roomId, clientMsgId: globalThis.crypto.randomUUID(), body };
    this.outbox.push(item);
    this.upsert({ id: item.clientMsgId, senderId: me.id, senderName: me.username, createdAt: new Date().toISOString(), state: 'sending', body, mine: true });
    void this.drain();
  }

  /**
   * Queues an edit of one of my text messages (docs/protocol.md §9b): a new encrypted message that
   * names it. Shown once stored; a refusal is said in `error`.
   */
  edit(line: ChatLine, body: string): void {
    const roomId = this.roomId();
    if (!roomId || !line.mine || line.seq === undefined || line.body === undefined || line.deleted) return;
    const problem = bodyProblem(body, (t) => this.crypto.characterCount(t), this.config.messageChars());
    if (problem) throw new Error(problem);
    if (body === line.body) return;
    this.outbox.push({ roomId, clientMsgId: globalThis.crypto.randomUUID(), body, editOf: line.seq });
    void this.drain();
  }

  /**
   * Deletes one of my messages for everyone (docs/protocol.md §9c): resolves once the server has
   * erased its ciphertext; rejects (SocketRequestError) with the server's reason.
   */
  async remove(line: ChatLine): Promise<void> {
    const roomId = this.roomId();
    if (!roomId || !line.mine || line.seq === undefined || line.deleted || line.event) return;
    const generation = this.generation;
    const result = await this.socket.request(CHAT_EVENTS.deleteMessage, { roomId, seq: line.seq });
    if (generation !== this.generation) return;
    this.logSeqs.add(result.seq);
    this.deleted(line.seq);
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
      : item.editOf === undefined
        ? await this.crypto.encryptText({ ...sealing, body: item.body, maxChars: this.config.messageChars() })
        : { ...(await this.crypto.encryptText({ ...sealing, body: item.body, maxChars: this.config.messageChars(), editOf: item.editOf })), editOf: item.editOf };
    try {
      const result = await this.socket.request(CHAT_EVENTS.send, request);
      if (item.editOf !== undefined) {
        if (item.roomId === this.roomId()) this.edited({ seq: result.seq, editOf: item.editOf, senderId: me.id, body: item.body });
        return true;
      }
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
    if (item.editOf !== undefined) this.error.set(`Your edit was not saved: ${err.message}`);
    else this.patch(item.clientMsgId, { state: 'failed', problem: err.message });
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
    if (!this.logSeqs.size) return this.loadPage(generation);
    // Back after a reconnection: fetch what was missed, from the first hole on.
    let afterSeq = lastUnbroken([...this.logSeqs]);
    // Page by page (RESYNC_MAX each): a resync from an old hole may have more to fetch than one page.
    for (let more = true; more && generation === this.generation; ) {
      const page = await this.socket.request(CHAT_EVENTS.resync, { roomId: room.roomId, afterSeq }).catch(() => null);
      if (!page || generation !== this.generation) return;
      await this.place(page, generation);
      const newest = newestOf(page);
      more = page.more && newest > afterSeq;
      afterSeq = Math.max(afterSeq, newest);
    }
  }

  /** A page's entries into the conversation, in seq order, decrypted in parallel. */
  private async place(page: HistoryPage, generation: number): Promise<void> {
    const decrypted = await Promise.all(page.messages.map((m) => this.decrypt(m)));
    if (generation !== this.generation) return;
    const names = await Promise.all(page.notices.map((n) => this.nameOf(n.userId)));
    if (generation !== this.generation) return;
    decrypted.forEach((entry, i) => this.take(page.messages[i]!, entry));
    page.notices.forEach((notice, i) => this.apply(notice, names[i]!));
    const seqs = [...page.messages.map((m) => m.seq), ...page.notices.map((n) => n.seq)];
    if (seqs.length) this.oldestFetched = Math.min(this.oldestFetched ?? Number.MAX_SAFE_INTEGER, ...seqs);
  }

  private async loadPage(generation: number, before?: number): Promise<void> {
    const roomId = this.roomId();
    if (!roomId) return;
    this.loading.set(true);
    try {
      const page = await this.socket.request(CHAT_EVENTS.history, before === undefined ? { roomId } : { roomId, before });
      if (generation !== this.generation) return;
      await this.place(page, generation);
      if (generation !== this.generation) return;
      this.more.set(page.more);
      const newest = newestOf(page);
      if (before === undefined && newest) this.chat.markRead(roomId, newest);
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
    const entry = await this.decrypt(message);
    if (message.roomId === this.roomId()) this.take(message, entry);
  }

  /** A live notice of the open room. */
  private async noticed(notice: RoomNotice): Promise<void> {
    if (notice.roomId !== this.roomId()) return;
    const name = await this.nameOf(notice.userId);
    if (notice.roomId === this.roomId()) this.apply(notice, name);
  }

  /** A decrypted message: a line, or an edit of one. */
  private take(message: StoredMessage, entry: ChatLine | Edit): void {
    this.logSeqs.add(message.seq);
    if ('editOf' in entry) {
      // It may have shown as a line while its key was missing.
      this.lines.update((lines) => lines.filter((l) => l.id !== message.clientMsgId));
      this.edited(entry);
    } else this.upsert(entry);
  }

  private apply(notice: RoomNotice, name: string): void {
    this.logSeqs.add(notice.seq);
    if (notice.kind === 'deletion') {
      const target = this.lines().find((l) => l.seq === notice.target);
      // Not loaded yet: a page fetched before the deletion may still bring it.
      if (!target) this.deletedSeqs.add(notice.target);
      else if (deletes(notice, target)) this.deleted(notice.target);
      return;
    }
    const line = noticeLine(notice, name, this.session.user()?.id);
    if (line) this.upsert(line);
  }

  private edited(edit: Edit): void {
    if (!isNewer(edit, this.edits.get(edit.editOf))) return;
    this.edits.set(edit.editOf, edit);
    const line = this.lines().find((l) => l.seq === edit.editOf);
    if (line) this.upsert(line);
  }

  private deleted(seq: number): void {
    this.deletedSeqs.add(seq);
    this.edits.delete(seq);
    const line = this.lines().find((l) => l.seq === seq);
    if (line) this.upsert(line);
  }

  private async nameOf(userId: string): Promise<string> {
    return (await this.directory.lookup(userId).catch(() => null))?.username ?? 'unknown member';
  }

  private forgetLog(): void {
    this.lines.set([]);
    this.edits = new Map();
    this.deletedSeqs = new Set();
    this.logSeqs = new Set();
    this.oldestFetched = undefined;
  }

  /** A received message as a line (decrypted and signed, or said plainly why not), or the edit it carries. */
  private async decrypt(message: StoredMessage): Promise<ChatLine | Edit> {
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
      if (content.type === 'edit') return editOf(message, content) ?? { ...line, state: 'undecryptable', problem: 'An edit the server routed to another message than its sender named: not shown' };
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
      if (line.state === 'no-key' && line.stored && this.keys.key(line.stored.roomId, line.stored.epoch)) this.take(line.stored, await this.decrypt(line.stored));
    }
  }

  /**
   * Inserts or replaces a line, as its newest edit or its deletion shows it; lines stay in sequence
   * order, unsent ones last in the order written (replaced in place).
   */
  private upsert(received: ChatLine): void {
    const seq = received.seq;
    const line = seq !== undefined && this.deletedSeqs.has(seq) && !received.event ? asDeleted(received) : withEdit(received, seq === undefined ? undefined : this.edits.get(seq));
    this.lines.update((lines) => {
      const at = lines.findIndex((l) => l.id === line.id);
      const merged = at === -1 ? [...lines, line] : lines.with(at, line);
      return merged.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
    });
  }

  private patch(id: string, changes: Partial<ChatLine>): void {
    const line = this.lines().find((l) => l.id === id);
    if (line) this.upsert({ ...line, ...changes });
  }
}
