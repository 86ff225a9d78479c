import { computed, inject, Injectable, signal } from '@angular/core';
import {
  type AdmissionResolved,
  CHAT_EVENTS,
  type CreateRoomRequest,
  type EnterRoomResult,
  type JoinResult,
  type KeyRequested,
  type RotateRequest,
  type RosterEntry,
  type RoomNotice,
  type RoomSummary,
  type StoredMessage,
  type TypingNotice,
} from '@conclave/contracts';
import { ApiClient, ApiError } from '../api-client.service';
import { FileTransferService } from '../files/file-transfer.service';
import { SessionService } from '../session.service';
import { DirectoryService } from './directory.service';
import { DraftsService } from './drafts.service';
import { type JoinCredentials, JoinService } from './join.service';
import { MembershipService } from './membership.service';
import { type KeyRecipient, RoomKeysService } from './room-keys.service';
import { type ListenEvent, type ListenPayload, SocketRequestError, SocketService } from './socket.service';
import { withRoomUpdate } from './room-update';

/**
 * Logs a failure of background work on a room. A room left or removed meanwhile answers
 * no-such-room on the socket, 404 over REST: nothing is to be done there any more, so that is no error.
 */
const failure = (what: string) => (err: unknown) =>
  (err instanceof SocketRequestError && err.code === 'no-such-room') || (err instanceof ApiError && err.status === 404)
    ? console.warn(`${what} skipped: no longer a member`)
    : console.error(`${what} failed:`, err);

/** How long a "typing" notice holds without a refresh (the sender repeats it while typing). */
export const TYPING_HOLD_MS = 6_000;

export interface TimedNotice {
  message: string;
  /** Epoch milliseconds when it is over. */
  until: number;
}

/**
 * The signed-in user's live chat state: rooms (with unread counts), who is online, room rosters,
 * typing, and the server's notices (rate limit, idle, session end). Every room is entered on each
 * (re)connection so its keys are ready and its new messages counted.
 */
@Injectable({ providedIn: 'root' })
export class ChatService {
  private readonly api = inject(ApiClient);
  private readonly socket = inject(SocketService);
  private readonly keys = inject(RoomKeysService);
  private readonly session = inject(SessionService);
  private readonly directory = inject(DirectoryService);
  private readonly drafts = inject(DraftsService);
  private readonly membership = inject(MembershipService);
  private readonly joins = inject(JoinService);
  private readonly files = inject(FileTransferService);

  readonly rooms = signal<RoomSummary[]>([]);
  readonly online = signal<RosterEntry[]>([]);
  readonly rosters = signal<Readonly<Record<string, RosterEntry[]>>>({});
  readonly typing = signal<Readonly<Record<string, RosterEntry[]>>>({});
  readonly rateLimit = signal<TimedNotice | null>(null);
  readonly idleWarning = signal<TimedNotice | null>(null);
  /** Set when the server ended this user's live session (idle kick, sign-out elsewhere): back to sign-in. */
  readonly ended = signal<string | null>(null);
  /** Rooms entered on this connection, by code. */
  readonly entered = signal<Readonly<Record<string, EnterRoomResult>>>({});
  /** The room on screen: its messages are read, not counted as unread. */
  readonly activeCode = signal<string | null>(null);
  readonly connection = this.socket.state;
  readonly connectionProblem = this.socket.problem;
  readonly roomsError = signal<string | null>(null);

  readonly activeRoom = computed(() => this.rooms().find((r) => r.code === this.activeCode()) ?? null);

  private started = false;
  private readonly messageHandlers = new Set<(message: StoredMessage) => void>();
  private readonly noticeHandlers = new Set<(notice: RoomNotice) => void>();
  private readonly enteredHandlers = new Set<(room: EnterRoomResult) => void>();
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly offs: Array<() => void> = [];

  constructor() {
    // Join requests and key checks look rooms up by id in this list.
    this.membership.knownRooms = () => this.rooms();
  }

  /** Connects (wss only) and listens; idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.socket.connect();
    if (this.socket.state() === 'refused') return;
    this.listen();
    this.offs.push(this.socket.onConnect(() => void this.enterAll()));
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
    this.socket.disconnect();
    this.keys.forget();
    this.directory.clear();
    this.drafts.clear();
    this.membership.clear();
    this.joins.clear();
    this.files.clear();
    this.started = false;
    this.rooms.set([]);
    this.entered.set({});
    this.online.set([]);
    this.rosters.set({});
    this.typing.set({});
    this.rateLimit.set(null);
    this.idleWarning.set(null);
  }

  /** New messages of every entered room. */
  onMessage(handler: (message: StoredMessage) => void): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  /** Log entries of entered rooms that are not messages: membership lines, deletions (docs/protocol.md §9a). */
  onNotice(handler: (notice: RoomNotice) => void): () => void {
    this.noticeHandlers.add(handler);
    return () => this.noticeHandlers.delete(handler);
  }

  /** Each time a room is (re)entered: the conversation resyncs from there. */
  onEntered(handler: (room: EnterRoomResult) => void): () => void {
    this.enteredHandlers.add(handler);
    return () => this.enteredHandlers.delete(handler);
  }

  async refreshRooms(): Promise<RoomSummary[]> {
    try {
      const rooms = await this.api.myRooms();
      this.rooms.set(rooms);
      this.roomsError.set(null);
      return rooms;
    } catch (err) {
      this.roomsError.set((err as Error).message);
      return this.rooms();
    }
  }

  async createRoom(request: CreateRoomRequest): Promise<RoomSummary> {
    const room = await this.api.createRoom(request);
    this.rooms.update((rooms) => [...rooms, room]);
    // Entered like every room (the server already follows it for presence and key requests).
    await this.enter(room);
    return room;
  }

  /** Asks to join: already a member opens the room; otherwise the request waits for a member's browser to admit. */
  async joinRoom(code: string, credentials: JoinCredentials = {}): Promise<JoinResult> {
    const result = await this.joins.join(code, credentials);
    if (result.status === 'member') {
      const room = result.room;
      this.rooms.update((rooms) => [...rooms.filter((r) => r.code !== room.code), room]);
      await this.enter(room);
    }
    return result;
  }

  async leaveRoom(code: string): Promise<void> {
    const room = this.rooms().find((r) => r.code === code);
    await this.api.leaveRoom(code);
    this.dropRoom(code, room?.id);
  }

  /** Who a new epoch's boxes go to: the admitted members, with the keys their admissions name (docs/protocol.md §7, §8.2). */
  async members(code: string, roomId: string): Promise<KeyRecipient[]> {
    return (await this.membership.keyAudience({ id: roomId, code })).recipients;
  }

  /** Typing notices for the active room: repeated while typing, cleared when sent or stopped. */
  setTyping(code: string, typing: boolean): void {
    this.socket.emit(CHAT_EVENTS.typing, { code, typing });
  }

  markRead(roomId: string, seq: number): void {
    this.rooms.update((rooms) => rooms.map((r) => (r.id === roomId ? { ...r, unread: 0 } : r)));
    this.socket.request(CHAT_EVENTS.read, { roomId, seq }).catch(() => undefined);
  }

  /** "I'm still here": any event counts as activity for the server's idle policy. */
  stillHere(): void {
    this.idleWarning.set(null);
    const room = this.rooms()[0];
    if (room) this.socket.request(CHAT_EVENTS.keyBoxes, { roomId: room.id }).catch(() => undefined);
  }

  private async enterAll(): Promise<void> {
    void this.joins.refresh().catch(() => undefined);
    const rooms = await this.refreshRooms();
    this.entered.set({});
    await Promise.all(rooms.map((room) => this.enter(room).catch(() => undefined)));
  }

  private async enter(room: RoomSummary): Promise<void> {
    const result = await this.socket.request(CHAT_EVENTS.enter, { code: room.code });
    this.entered.update((all) => ({ ...all, [room.code]: result }));
    for (const handler of this.enteredHandlers) handler(result);
    // The owner signs a room's genesis before its first key (a new room) or the next share (a room made before v2).
    if (room.role === 'owner') await this.membership.ensureGenesis(await this.api.room(room.code)).catch((err: unknown) => console.error('Signing the room genesis failed:', err));
    await this.keys.ensure(result.roomId, result.currentEpoch, () => this.members(room.code, result.roomId));
  }

  private dropRoom(code: string, roomId?: string): void {
    this.rooms.update((rooms) => rooms.filter((r) => r.code !== code));
    this.entered.update(({ [code]: _, ...rest }) => rest);
    if (roomId) {
      this.keys.forget(roomId);
      this.membership.clear(roomId);
    }
  }

  private listen(): void {
    const on = <E extends ListenEvent>(event: E, handler: (payload: ListenPayload<E>) => void) => this.offs.push(this.socket.on(event, handler));
    // Rooms are entered per connection: once it is lost, none is until the next one enters them again.
    on('disconnect', () => this.entered.set({}));
    on(CHAT_EVENTS.online, ({ online }) => this.online.set(online));
    on(CHAT_EVENTS.presence, (change) =>
      this.online.update((list) => [...list.filter((e) => e.userId !== change.userId), ...(change.online ? [{ userId: change.userId, username: change.username }] : [])]),
    );
    on(CHAT_EVENTS.roster, ({ code, present }) => this.rosters.update((all) => ({ ...all, [code]: present })));
    on(CHAT_EVENTS.typingNotice, (notice) => this.noteTyping(notice));
    on(CHAT_EVENTS.message, (message) => this.received(message));
    on(CHAT_EVENTS.notice, (notice) => this.noticeHandlers.forEach((handler) => handler(notice)));
    on(CHAT_EVENTS.removed, ({ code }) => this.dropRoom(code, this.rooms().find((r) => r.code === code)?.id));
    // The owner renamed a room, changed its limit or password: every member's list and header follow.
    on(CHAT_EVENTS.roomUpdated, (update) => this.rooms.update((rooms) => withRoomUpdate(rooms, update)));
    on(CHAT_EVENTS.rateLimited, ({ message, retryAfterMs }) => this.rateLimit.set({ message, until: Date.now() + retryAfterMs }));
    // Key work failing is logged, never swallowed: the room shows "waiting for the key" meanwhile.
    const keyWork = (what: string, work: Promise<void>) => void work.catch(failure(`Room key ${what}`));
    on(CHAT_EVENTS.keyRequested, (request) => keyWork('sharing', this.share(request)));
    on(CHAT_EVENTS.rotate, (request) => keyWork('rotation', this.rotate(request)));
    on(CHAT_EVENTS.admissionRequested, (request) => void this.membership.requested(request).catch((err: unknown) => console.error('Join request failed:', err)));
    on(CHAT_EVENTS.admissionResolved, (notice) => void this.admissionResolved(notice));
    on(CHAT_EVENTS.epoch, ({ roomId, epoch }) => keyWork('update', this.keys.arrived(roomId, epoch)));
    on(CHAT_EVENTS.keyAvailable, ({ roomId }) => keyWork('update', this.keys.arrived(roomId)));
    on(CHAT_EVENTS.idleWarning, ({ message, secondsLeft }) => this.idleWarning.set({ message, until: Date.now() + secondsLeft * 1000 }));
    on(CHAT_EVENTS.idleKick, ({ reason }) => this.ended.set(reason));
    on(CHAT_EVENTS.sessionEnded, ({ reason }) => this.ended.set(reason));
  }

  /** key:requested: only an admitted member gets a box, wrapped to the keys their admission names, not the ones the request carries. */
  private async share(request: KeyRequested): Promise<void> {
    const [recipient] = await this.membership.allowed({ id: request.roomId, code: request.code }, [request.requesterId]);
    if (!recipient) return console.warn(`Key request of ${request.requesterId} in ${request.code} ignored: not an admitted member`);
    await this.keys.share({ ...request, publicKeys: recipient.publicKeys });
  }

  /** key:rotate: the next epoch for the admitted members among those the server names. */
  private async rotate(request: RotateRequest): Promise<void> {
    const members = await this.membership.allowed({ id: request.roomId, code: request.code }, request.members.map((m) => m.userId));
    await this.keys.rotate({ ...request, members });
  }

  private async admissionResolved(notice: AdmissionResolved): Promise<void> {
    if (notice.userId !== this.session.user()?.id) return this.membership.resolved(notice);
    this.joins.resolved(notice);
    if (notice.outcome !== 'admitted') return;
    const room = (await this.refreshRooms()).find((r) => r.code === notice.code);
    if (room) await this.enter(room).catch(failure(`Entering ${notice.code}`));
  }

  private received(message: StoredMessage): void {
    this.typingStopped(message.roomId, message.senderId);
    for (const handler of this.messageHandlers) handler(message);
    const active = this.activeRoom();
    // An edit changes a message already counted.
    if (active?.id === message.roomId || message.senderId === this.session.user()?.id || message.editOf !== undefined) return;
    this.rooms.update((rooms) => rooms.map((r) => (r.id === message.roomId ? { ...r, unread: r.unread + 1 } : r)));
  }

  private noteTyping({ code, userId, username, typing }: TypingNotice): void {
    const id = `${code}/${userId}`;
    clearTimeout(this.typingTimers.get(id));
    this.typingTimers.delete(id);
    this.typing.update((all) => ({ ...all, [code]: [...(all[code] ?? []).filter((e) => e.userId !== userId), ...(typing ? [{ userId, username }] : [])] }));
    if (typing) this.typingTimers.set(id, setTimeout(() => this.noteTyping({ code, userId, username, typing: false }), TYPING_HOLD_MS));
  }

  private typingStopped(roomId: string, userId: string): void {
    const code = this.rooms().find((r) => r.id === roomId)?.code;
    const entry = code && this.typing()[code]?.find((e) => e.userId === userId);
    if (code && entry) this.noteTyping({ code, userId, username: entry.username, typing: false });
  }
}
