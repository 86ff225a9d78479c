import { Inject, Logger, type OnModuleDestroy, UseFilters, UseGuards, UseInterceptors, UsePipes, ValidationPipe } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { type AckOf, CHAT_EVENTS, type PresenceChange, type RosterEntry } from '@conclave/contracts';
import type { Request } from 'express';
import type { Subscription } from 'rxjs';
import { SESSION_HANDLER, type SessionHandler } from '../auth/session/session.js';
import { sessionKey } from '../auth/session/hashed-session-store.js';
import { SessionStoreService } from '../auth/session/session-store.service.js';
import { UsersService } from '../auth/users/users.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { ConclaveRemoteSocket, ConclaveServer, ConclaveSocket } from '../realtime/conclave-socket.js';
import { census, membersChannel, roomChannel, socketsIn, userChannel, usersIn } from '../realtime/presence.js';
import { FAN_OUT_TIMING } from '../cluster/cluster-connection.js';
import { ChatError, connectionFailed, handshakeRefusal, SocketErrorFilter } from '../realtime/socket-errors.js';
import { endSession, SocketSessionGuard, SocketUserId } from '../realtime/socket-session.guard.js';
import { type MembershipChange, RoomEvents } from '../rooms/room-events.js';
import { RoomAccessGuard } from '../rooms/room-access.guard.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { clientAddress } from './client-address.js';
import { DeleteMessageDto, HistoryDto, ReadDto, ResyncDto, RoomRefDto, SendMessageDto, TypingDto } from './dto.js';
import { EnteredRoom, EnteredRoomGuard } from './entered-room.guard.js';
import { logFailure, oneAtATime } from '../database/background-work.js';
import { MessageRateLimiter } from './message-rate-limiter.js';
import { MessagesService, type StoreOutcome } from './messages.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { SendAckTimer } from './send-ack-timer.interceptor.js';
import { SocketQuota } from './socket-quota.js';

/** How often live sockets are checked against their sessions (sign-out, password change, expiry). */
const SESSION_SWEEP_MS = 2_000;
/** How often idle sockets are looked for (local only, no database). */
const IDLE_SWEEP_MS = 250;

/**
 * The live side of rooms over Socket.IO (wss only): presence, rooms' live channels, messages, the
 * session and idle policies. The handshake is authenticated here, once, for every gateway on the
 * server (the rooms module's key events too). Every event passes the session guard and payload
 * validation; room events need room:enter first (EnteredRoomGuard). A refusal comes back as
 * 'chat:error' with a code.
 */
@WebSocketGateway()
@UseFilters(SocketErrorFilter)
@UseGuards(SocketSessionGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class ChatGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy {
  @WebSocketServer() private server!: ConclaveServer;
  private readonly log = new Logger('ChatGateway');
  private sweeper?: ReturnType<typeof setInterval>;
  private idleSweeper?: ReturnType<typeof setInterval>;
  private membership?: Subscription;
  private quota!: SocketQuota;
  /** Presence checks asked again after an instance did not answer (cleared at shutdown). */
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(
    @Inject(SESSION_HANDLER) private readonly sessions: SessionHandler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessionStore: SessionStoreService,
    private readonly users: UsersService,
    private readonly rooms: RoomsService,
    private readonly roomEvents: RoomEvents,
    private readonly messages: MessagesService,
    private readonly rateLimiter: MessageRateLimiter,
    private readonly metrics: MetricsService,
  ) {}

  afterInit(server: ConclaveServer): void {
    this.metrics.countSocketsWith(() => server.sockets.sockets.size);
    this.quota = new SocketQuota(this.config.quotas.socketsPerUser, async (userId) => (await socketsIn(server, userChannel(userId))).length);
    server.use((socket, next) => {
      this.authenticate(socket)
        .then(
          () => this.quota.admit(socket, socket.data.userId),
          (err: unknown) => Promise.reject(handshakeRefusal(err)),
        )
        .then(() => next(), next);
    });
    this.membership = this.roomEvents.membership.subscribe((change) => void this.onMembership(change).catch(logFailure(this.log, 'membership change')));
    this.sweeper = setInterval(oneAtATime(this.log, 'session sweep', () => this.sweepSessions()), SESSION_SWEEP_MS);
    if (this.config.chat.idle.warnSeconds || this.config.chat.idle.kickSeconds) {
      this.idleSweeper = setInterval(oneAtATime(this.log, 'idle sweep', () => this.sweepIdle()), IDLE_SWEEP_MS);
    }
  }

  onModuleDestroy(): void {
    for (const timer of this.pending) clearTimeout(timer);
    clearInterval(this.sweeper);
    clearInterval(this.idleSweeper);
    this.membership?.unsubscribe();
  }

  // Nest drops what handleConnection and handleDisconnect return: their failures are dealt with here.
  handleConnection(socket: ConclaveSocket): Promise<void> {
    return this.connected(socket).catch(connectionFailed(socket, this.log));
  }

  handleDisconnect(socket: ConclaveSocket): Promise<void> {
    return this.disconnected(socket).catch(logFailure(this.log, 'disconnection'));
  }

  private async connected(socket: ConclaveSocket): Promise<void> {
    const { userId, username } = socket.data;
    this.touchLastSeen(userId);
    socket.data.entered = {};
    // Any event the client sends counts as activity (the heartbeat does not).
    socket.data.lastActive = Date.now();
    socket.data.warned = false;
    socket.onAny(() => {
      socket.data.lastActive = Date.now();
      socket.data.warned = false;
    });
    const roomIds = await this.rooms.roomIdsOf(userId);
    const ownChannel = userChannel(userId);
    const roomChannels = roomIds.map(membersChannel);
    // One question to every instance, not one per room: each may wait for an instance that just died (realtime/presence.ts).
    const { sockets: others, complete } = await census(this.server, [ownChannel, ...roomChannels]);
    const firstSocket = !others.some((other) => other.rooms.has(ownChannel));
    await socket.join([ownChannel, ...roomChannels]);
    this.quota.joined(socket);
    socket.emit(CHAT_EVENTS.online, { online: onlineIn(others, roomChannels, roomIds.length ? { userId, username } : undefined) });
    if (firstSocket && roomIds.length) this.announcePresence(socket, roomIds, { userId, username, online: true });
    // Some instance did not answer: once the others have counted it out (or it answers again), the list is asked for once more.
    if (!complete) this.later(async () => {
      if (!socket.connected) return;
      const again = await census(this.server, roomChannels);
      if (again.complete) socket.emit(CHAT_EVENTS.online, { online: onlineIn(again.sockets, roomChannels, { userId, username }) });
    });
  }

  private async disconnected(socket: ConclaveSocket): Promise<void> {
    const { userId, username, entered } = socket.data;
    if (!userId) return;
    this.touchLastSeen(userId);
    for (const [code, roomId] of Object.entries<string>(entered ?? {})) await this.broadcastRoster(code, roomId);
    await this.announceIfOffline(userId, username, true);
  }

  /**
   * 'offline' only when every instance says the user has no socket left: with an instance silent,
   * the user may well be connected there, so the question is asked once more after the others
   * have counted it out, rather than announcing someone offline who is not.
   */
  private async announceIfOffline(userId: string, username: string, mayAskAgain: boolean): Promise<void> {
    const { sockets, complete } = await census(this.server, userChannel(userId));
    if (sockets.length) return;
    if (!complete) {
      if (mayAskAgain) this.later(() => this.announceIfOffline(userId, username, false));
      return;
    }
    const roomIds = await this.rooms.roomIdsOf(userId);
    if (roomIds.length) this.server.to(roomIds.map(membersChannel)).except(userChannel(userId)).emit(CHAT_EVENTS.presence, { userId, username, online: false });
  }

  /** Runs `work` once the fan-out has counted a silent instance out (FAN_OUT_TIMING), unless the app is closing. */
  private later(work: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      void work().catch(logFailure(this.log, 'a presence check'));
    }, FAN_OUT_TIMING.heartbeatTimeoutMs + FAN_OUT_TIMING.heartbeatIntervalMs);
    timer.unref();
    this.pending.add(timer);
  }

  @SubscribeMessage(CHAT_EVENTS.enter)
  @UseGuards(RoomAccessGuard)
  async enter(@ConnectedSocket() socket: ConclaveSocket, @MessageBody() { code }: RoomRefDto): Promise<AckOf<typeof CHAT_EVENTS.enter>> {
    const state = await this.rooms.liveState(code, socket.data.userId);
    await socket.join(roomChannel(state.roomId));
    socket.data.entered[code] = state.roomId;
    await this.broadcastRoster(code, state.roomId);
    return { ok: true, result: state };
  }

  @SubscribeMessage(CHAT_EVENTS.leave)
  @UseGuards(EnteredRoomGuard)
  async leave(@ConnectedSocket() socket: ConclaveSocket, @EnteredRoom() roomId: string, @MessageBody() { code }: RoomRefDto): Promise<AckOf<typeof CHAT_EVENTS.leave>> {
    await socket.leave(roomChannel(roomId));
    delete socket.data.entered[code];
    await this.broadcastRoster(code, roomId);
    return { ok: true, result: { code } };
  }

  @SubscribeMessage(CHAT_EVENTS.typing)
  @UseGuards(EnteredRoomGuard)
  typing(@ConnectedSocket() socket: ConclaveSocket, @EnteredRoom() roomId: string, @MessageBody() { code, typing }: TypingDto): void {
    socket.to(roomChannel(roomId)).emit(CHAT_EVENTS.typingNotice, { code, userId: socket.data.userId, username: socket.data.username, typing });
  }

  @SubscribeMessage(CHAT_EVENTS.send)
  @UseGuards(EnteredRoomGuard)
  @UseInterceptors(SendAckTimer)
  async send(@ConnectedSocket() socket: ConclaveSocket, @MessageBody() envelope: SendMessageDto): Promise<AckOf<typeof CHAT_EVENTS.send>> {
    const limited = await this.rateLimiter.check(socket.data.userId);
    if (limited) {
      socket.emit(CHAT_EVENTS.rateLimited, limited);
      throw new ChatError('rate-limited', limited.message, { retryAfterMs: limited.retryAfterMs });
    }
    const outcome = await this.messages.store(socket.data.userId, envelope);
    if ('refused' in outcome) throw sendRefusal(outcome, envelope.epoch);
    // Acknowledged only now that the row is committed; relayed to everyone else in the room.
    if (!outcome.duplicate) socket.to(roomChannel(envelope.roomId)).emit(CHAT_EVENTS.message, outcome.stored);
    return { ok: true, result: { seq: outcome.stored.seq, createdAt: outcome.stored.createdAt, duplicate: outcome.duplicate } };
  }

  /** Rate-limited as a send is: a deletion is a write every member's client receives. */
  @SubscribeMessage(CHAT_EVENTS.deleteMessage)
  @UseGuards(EnteredRoomGuard)
  async deleteMessage(@ConnectedSocket() socket: ConclaveSocket, @MessageBody() { roomId, seq }: DeleteMessageDto): Promise<AckOf<typeof CHAT_EVENTS.deleteMessage>> {
    const limited = await this.rateLimiter.check(socket.data.userId);
    if (limited) {
      socket.emit(CHAT_EVENTS.rateLimited, limited);
      throw new ChatError('rate-limited', limited.message, { retryAfterMs: limited.retryAfterMs });
    }
    const deleted = await this.messages.delete(socket.data.userId, roomId, seq);
    if (!deleted) throw new ChatError('not-editable', `Message ${seq} is not one of your messages in this room, or it is already deleted`);
    socket.to(roomChannel(roomId)).emit(CHAT_EVENTS.notice, deleted.notice);
    return { ok: true, result: deleted.result };
  }

  @SubscribeMessage(CHAT_EVENTS.history)
  @UseGuards(EnteredRoomGuard)
  async history(@SocketUserId() userId: string, @MessageBody() { roomId, before }: HistoryDto): Promise<AckOf<typeof CHAT_EVENTS.history>> {
    const from = await this.rooms.readableFrom(roomId, userId);
    return { ok: true, result: await this.messages.history(roomId, from, before) };
  }

  @SubscribeMessage(CHAT_EVENTS.resync)
  @UseGuards(EnteredRoomGuard)
  async resync(@SocketUserId() userId: string, @MessageBody() { roomId, afterSeq }: ResyncDto): Promise<AckOf<typeof CHAT_EVENTS.resync>> {
    const from = await this.rooms.readableFrom(roomId, userId);
    return { ok: true, result: await this.messages.resync(roomId, from, afterSeq) };
  }

  @SubscribeMessage(CHAT_EVENTS.read)
  @UseGuards(EnteredRoomGuard)
  async read(@SocketUserId() userId: string, @MessageBody() { roomId, seq }: ReadDto): Promise<AckOf<typeof CHAT_EVENTS.read>> {
    return { ok: true, result: { seq: await this.rooms.markRead(roomId, userId, seq) } };
  }

  /** users.last_seen_at (admin API): best effort, a failure never holds up or fails a connection. */
  private touchLastSeen(userId: string): void {
    this.users.touchLastSeen(userId).catch(logFailure(this.log, 'last seen'));
  }

  private async authenticate(socket: ConclaveSocket): Promise<void> {
    const req = socket.request as unknown as Request;
    await this.loadSession(req);
    const { userId, signedInAt } = req.session ?? {};
    if (!userId || !signedInAt || Date.now() - signedInAt > this.config.auth.sessionMaxSeconds * 1000) throw new Error('no session');
    const user = await this.users.findById(userId);
    // A disabled account is refused as a missing session is: its sessions are ended anyway.
    if (!user || user.disabledAt) throw new Error('no user');
    socket.data.userId = userId;
    socket.data.username = user.username;
    socket.data.sessionKey = sessionKey(req.sessionID);
    socket.data.signedInAt = signedInAt;
    socket.data.address = clientAddress(socket.request, this.config.trustProxy);
    // Everything needed is copied. engine.io keeps the upgrade request as long as the connection
    // lives; what the session added to it need not stay with it. The handshake's headers go too:
    // another instance asking who is connected (fetchSockets) receives each socket's handshake
    // through PostgreSQL or Redis, and they hold the session cookie (docs/deployment.md).
    socket.handshake.headers = {};
    delete (req as Partial<Request>).session;
    delete (req as Partial<Request>).sessionStore;
    (socket.conn as unknown as { request: unknown }).request = null;
  }

  /**
   * express-session reads the handshake's cookie as it does for REST calls. It runs here, once per
   * connection, with a throw-away response (Socket.IO's documented pattern): nothing is written back
   * on an upgrade, and nothing it sets up outlives the handshake.
   */
  private loadSession(req: Request): Promise<void> {
    return new Promise((resolve, reject) => this.sessions.middleware(req, {} as never, (err?: unknown) => (err ? reject(err) : resolve())));
  }

  /** Closes the sockets of sessions that ended: sign-out, password change elsewhere, idle or absolute expiry. */
  private async sweepSessions(): Promise<void> {
    const sockets = await this.server.local.fetchSockets();
    if (!sockets.length) return;
    const live = await this.sessionStore.liveSessionKeys([...new Set(sockets.map((s) => s.data.sessionKey))]);
    const maxMs = this.config.auth.sessionMaxSeconds * 1000;
    for (const socket of sockets) {
      if (!live.has(socket.data.sessionKey) || Date.now() - socket.data.signedInAt > maxMs) endSession(socket, 'Your session ended: sign in again');
    }
  }

  /** IDLE_WARN_SECONDS without activity: a warning; IDLE_KICK_SECONDS: a disconnect with the reason. */
  private async sweepIdle(): Promise<void> {
    const { warnSeconds, kickSeconds } = this.config.chat.idle;
    const now = Date.now();
    for (const socket of await this.server.local.fetchSockets()) {
      const idleMs = now - socket.data.lastActive;
      if (kickSeconds && idleMs >= kickSeconds * 1000) {
        socket.emit(CHAT_EVENTS.idleKick, { reason: `Disconnected after ${kickSeconds} seconds without activity` });
        socket.disconnect(true);
      } else if (warnSeconds && idleMs >= warnSeconds * 1000 && !socket.data.warned) {
        socket.data.warned = true;
        const secondsLeft = kickSeconds ? kickSeconds - warnSeconds : 0;
        socket.emit(CHAT_EVENTS.idleWarning, {
          secondsLeft,
          message: kickSeconds ? `You have been inactive: you will be disconnected in ${secondsLeft} seconds unless you send something` : 'You have been inactive',
        });
      }
    }
  }

  /**
   * Presence and the live channels follow membership, and the room's log gets its line ("NAME
   * joined"); the rooms module's gateway makes the key rotate.
   */
  private async onMembership(change: MembershipChange): Promise<void> {
    if (!change.atCreation) void this.announceMembership(change).catch(logFailure(this.log, 'membership line'));
    const sockets = this.server.in(userChannel(change.userId));
    if (change.change === 'joined') {
      const [joiner] = await usersIn(this.server, userChannel(change.userId));
      const others = (await usersIn(this.server, membersChannel(change.roomId))).filter((u) => u.userId !== change.userId);
      sockets.socketsJoin(membersChannel(change.roomId));
      if (!joiner) return;
      // Presence now covers the new room too: both sides learn who is online.
      this.server.to(membersChannel(change.roomId)).except(userChannel(change.userId)).emit(CHAT_EVENTS.presence, { ...joiner, online: true });
      for (const other of others) this.server.to(userChannel(change.userId)).emit(CHAT_EVENTS.presence, { ...other, online: true });
      return;
    }
    // Cut off at once: out of the live channel and of presence, on every instance.
    sockets.socketsLeave([roomChannel(change.roomId), membersChannel(change.roomId)]);
    this.server.to(userChannel(change.userId)).emit(CHAT_EVENTS.removed, { code: change.code, reason: change.change });
    await this.broadcastRoster(change.code, change.roomId);
  }

  /**
   * The line is written after the change committed (the rooms module's transaction): should the
   * database fail in between, the change holds and only its line is missing (docs/protocol.md §9a).
   */
  private async announceMembership({ roomId, userId, change }: MembershipChange): Promise<void> {
    const notice = await this.messages.appendMembership(roomId, userId, change);
    if (notice) this.server.to(roomChannel(roomId)).emit(CHAT_EVENTS.notice, notice);
  }

  private async broadcastRoster(code: string, roomId: string): Promise<void> {
    this.server.to(roomChannel(roomId)).emit(CHAT_EVENTS.roster, { code, present: await usersIn(this.server, roomChannel(roomId)) });
  }

  private announcePresence(socket: ConclaveSocket, roomIds: string[], change: PresenceChange): void {
    socket.broadcast.to(roomIds.map(membersChannel)).except(userChannel(change.userId)).emit(CHAT_EVENTS.presence, change);
  }
}

/** The users with a socket on any of `roomChannels` (and `self`), sorted by name: the 'online' list. */
function onlineIn(sockets: ConclaveRemoteSocket[], roomChannels: string[], self: RosterEntry | undefined): RosterEntry[] {
  const online = new Map<string, RosterEntry>(self ? [[self.userId, self]] : []);
  for (const other of sockets) if (roomChannels.some((channel) => other.rooms.has(channel))) online.set(other.data.userId, { userId: other.data.userId, username: other.data.username });
  return [...online.values()].sort((a, b) => a.username.localeCompare(b.username));
}

/** A message the store refused, as the coded socket error the client sees. */
function sendRefusal(outcome: Extract<StoreOutcome, { refused: string }>, epoch: number): ChatError {
  if (!('currentEpoch' in outcome)) {
    const message = {
      'bad-signature': `This message is not signed with your key for this room, epoch and clientMsgId: it was not stored`,
      'file-unavailable':
        'This file cannot be attached: it must be your own upload to this room, completely stored, not carried by another message and not yet removed (upload it again)',
      'not-editable': 'Only your own text messages in this room can be edited, not a deleted message, a file message or an edit itself (edit the original again)',
      'too-long': 'This message is longer than this server allows (its message limit, MESSAGE_MAX_CHARS): it was not stored',
    }[outcome.refused];
    return new ChatError(outcome.refused, message);
  }
  const { refused, currentEpoch } = outcome;
  const message = {
    'no-key': `You hold no key for epoch ${currentEpoch} of this room: ask for it with ${CHAT_EVENTS.keyRequest} (or make epoch 1 if the room has none)`,
    'stale-epoch': `Epoch ${epoch} is not current: re-encrypt under epoch ${currentEpoch}`,
    'rotation-pending': `A member left: the room's key is being replaced, send again under epoch ${currentEpoch + 1}`,
  }[refused];
  return new ChatError(refused, message, { currentEpoch });
}
