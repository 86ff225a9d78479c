import { Inject, Logger, type OnModuleDestroy, UseFilters, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
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
import {
  type Ack,
  CHAT_EVENTS,
  type EnterRoomResult,
  type EpochNotice,
  type HistoryPage,
  type IdleKick,
  type IdleWarning,
  type KeyAvailable,
  type KeyMaterial,
  type KeyRequested,
  type KeyRequestResult,
  type SendResult, type SocketError, type PresenceChange, type RoomRemoved, type RoomRoster, type SessionEnded, type TypingNotice } from '@conclave/contracts';
import type { Request } from 'express';
import type { Subscription } from 'rxjs';
import type { Server, Socket } from 'socket.io';
import { SESSION_HANDLER, type SessionHandler } from '../auth/session/session.js';
import { SessionStoreService } from '../auth/session/session-store.service.js';
import { UsersService } from '../auth/users/users.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { isDatabaseUnavailable } from '../database/database-unavailable.js';
import { RoomEvents } from '../rooms/room-events.js';
import { KeyRefusal, KeysService } from '../rooms/keys.service.js';
import { RoomAccessGuard } from '../rooms/room-access.guard.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { clientAddress } from './client-address.js';
import { HistoryDto, KeyRequestDto, KeyShareDto, NewEpochDto, ReadDto, ResyncDto, RoomIdDto, RoomRefDto, SendMessageDto, TypingDto } from './dto.js';
import { logFailure, oneAtATime } from '../database/background-work.js';
import { MessageRateLimiter } from './message-rate-limiter.js';
import { MessagesService } from './messages.service.js';
import { membersChannel, roomChannel, type SocketUser, userChannel, usersIn } from './presence.js';
import { ChatError, handshakeRefusal, SocketErrorFilter } from './socket-errors.js';
import { SocketQuota } from './socket-quota.js';

/** How often live sockets are checked against their sessions (sign-out, password change, expiry). */
const SESSION_SWEEP_MS = 2_000;
/** How often idle sockets are looked for (local only, no database). */
const IDLE_SWEEP_MS = 250;

type ChatSocket = Socket & { data: SocketUser & { entered: Record<string, string>; lastActive: number; warned: boolean } };

/**
 * The live side of rooms over Socket.IO (wss only). The handshake is authenticated from the session
 * cookie; every event passes the session check, payload validation and (for room events)
 * membership, and a refusal comes back as 'chat:error' with a code.
 */
@WebSocketGateway()
@UseFilters(SocketErrorFilter)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class ChatGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy {
  @WebSocketServer() private server!: Server;
  private readonly log = new Logger('ChatGateway');
  private sweeper?: ReturnType<typeof setInterval>;
  private idleSweeper?: ReturnType<typeof setInterval>;
  private membership?: Subscription;
  private quota!: SocketQuota;

  constructor(
    @Inject(SESSION_HANDLER) private readonly sessions: SessionHandler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessionStore: SessionStoreService,
    private readonly users: UsersService,
    private readonly rooms: RoomsService,
    private readonly roomEvents: RoomEvents,
    private readonly messages: MessagesService,
    private readonly rateLimiter: MessageRateLimiter,
    private readonly keys: KeysService,
  ) {}

  afterInit(server: Server): void {
    this.quota = new SocketQuota(this.config.quotas.socketsPerUser, async (userId) => (await server.in(userChannel(userId)).fetchSockets()).length);
    server.use((socket, next) => {
      this.authenticate(socket as ChatSocket)
        .then(
          () => this.quota.admit(socket, (socket as ChatSocket).data.userId),
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
    clearInterval(this.sweeper);
    clearInterval(this.idleSweeper);
    this.membership?.unsubscribe();
  }

  // Nest drops what handleConnection and handleDisconnect return: their failures are dealt with here.
  handleConnection(socket: ChatSocket): Promise<void> {
    return this.connected(socket).catch((err: unknown) => {
      logFailure(this.log, 'connection')(err);
      // Not in its rooms' channels, the socket would miss messages. Closing the transport (not a
      // server-side disconnect, which clients take as final) makes the client connect again.
      const error: SocketError = { code: isDatabaseUnavailable(err) ? 'unavailable' : 'server-error', message: 'The connection could not be set up: connecting again', event: 'connection' };
      socket.emit(CHAT_EVENTS.error, error);
      socket.conn.close();
    });
  }

  handleDisconnect(socket: ChatSocket): Promise<void> {
    return this.disconnected(socket).catch(logFailure(this.log, 'disconnection'));
  }

  private async connected(socket: ChatSocket): Promise<void> {
    const { userId, username } = socket.data;
    socket.data.entered = {};
    // Any event the client sends counts as activity (the heartbeat does not).
    socket.data.lastActive = Date.now();
    socket.data.warned = false;
    socket.onAny(() => {
      socket.data.lastActive = Date.now();
      socket.data.warned = false;
    });
    const roomIds = await this.rooms.roomIdsOf(userId);
    const firstSocket = (await this.server.in(userChannel(userId)).fetchSockets()).length === 0;
    await socket.join([userChannel(userId), ...roomIds.map(membersChannel)]);
    this.quota.joined(socket);
    const online = new Map<string, { userId: string; username: string }>();
    for (const roomId of roomIds) for (const entry of await usersIn(this.server, membersChannel(roomId))) online.set(entry.userId, entry);
    socket.emit(CHAT_EVENTS.online, { online: [...online.values()] });
    if (firstSocket && roomIds.length) this.announcePresence(socket, roomIds, { userId, username, online: true });
    await this.offerKeyWork(socket, roomIds);
  }

  private async disconnected(socket: ChatSocket): Promise<void> {
    const { userId, username, entered } = socket.data;
    if (!userId) return;
    for (const [code, roomId] of Object.entries<string>(entered ?? {})) await this.broadcastRoster(code, roomId);
    if ((await this.server.in(userChannel(userId)).fetchSockets()).length === 0) {
      const roomIds = await this.rooms.roomIdsOf(userId);
      if (roomIds.length) this.announcePresence(socket, roomIds, { userId, username, online: false });
    }
  }

  @SubscribeMessage(CHAT_EVENTS.enter)
  @UseGuards(RoomAccessGuard)
  async enter(@ConnectedSocket() socket: ChatSocket, @MessageBody() { code }: RoomRefDto): Promise<Ack<EnterRoomResult>> {
    this.checkSession(socket);
    const state = await this.rooms.liveState(code, socket.data.userId);
    await socket.join(roomChannel(state.roomId));
    socket.data.entered[code] = state.roomId;
    await this.broadcastRoster(code, state.roomId);
    return { ok: true, result: state };
  }

  @SubscribeMessage(CHAT_EVENTS.leave)
  async leave(@ConnectedSocket() socket: ChatSocket, @MessageBody() { code }: RoomRefDto): Promise<Ack<{ code: string }>> {
    this.checkSession(socket);
    const roomId = this.enteredRoom(socket, code);
    await socket.leave(roomChannel(roomId));
    delete socket.data.entered[code];
    await this.broadcastRoster(code, roomId);
    return { ok: true, result: { code } };
  }

  @SubscribeMessage(CHAT_EVENTS.typing)
  typing(@ConnectedSocket() socket: ChatSocket, @MessageBody() { code, typing }: TypingDto): void {
    this.checkSession(socket);
    const roomId = this.enteredRoom(socket, code);
    const notice: TypingNotice = { code, userId: socket.data.userId, username: socket.data.username, typing };
    socket.to(roomChannel(roomId)).emit(CHAT_EVENTS.typingNotice, notice);
  }

  @SubscribeMessage(CHAT_EVENTS.send)
  async send(@ConnectedSocket() socket: ChatSocket, @MessageBody() envelope: SendMessageDto): Promise<Ack<SendResult>> {
    this.checkSession(socket);
    this.enteredById(socket, envelope.roomId);
    const limited = await this.rateLimiter.check(socket.data.userId);
    if (limited) {
      socket.emit(CHAT_EVENTS.rateLimited, limited);
      throw new ChatError('rate-limited', limited.message, { retryAfterMs: limited.retryAfterMs });
    }
    const outcome = await this.messages.store(socket.data.userId, envelope);
    if ('refused' in outcome) {
      const { refused, currentEpoch } = outcome;
      const message = {
        'no-key': `You hold no key for epoch ${currentEpoch} of this room: ask for it with ${CHAT_EVENTS.keyRequest} (or make epoch 1 if the room has none)`,
        'stale-epoch': `Epoch ${envelope.epoch} is not current: re-encrypt under epoch ${currentEpoch}`,
        'rotation-pending': `A member left: the room's key is being replaced, send again under epoch ${currentEpoch + 1}`,
      }[refused];
      throw new ChatError(refused, message, { currentEpoch });
    }
    // Acknowledged only now that the row is committed; relayed to everyone else in the room.
    if (!outcome.duplicate) socket.to(roomChannel(envelope.roomId)).emit(CHAT_EVENTS.message, outcome.stored);
    return { ok: true, result: { seq: outcome.stored.seq, createdAt: outcome.stored.createdAt, duplicate: outcome.duplicate } };
  }

  @SubscribeMessage(CHAT_EVENTS.history)
  async history(@ConnectedSocket() socket: ChatSocket, @MessageBody() { roomId, before }: HistoryDto): Promise<Ack<HistoryPage>> {
    this.checkSession(socket);
    this.enteredById(socket, roomId);
    const from = await this.rooms.readableFrom(roomId, socket.data.userId);
    return { ok: true, result: await this.messages.history(roomId, from, before) };
  }

  @SubscribeMessage(CHAT_EVENTS.resync)
  async resync(@ConnectedSocket() socket: ChatSocket, @MessageBody() { roomId, afterSeq }: ResyncDto): Promise<Ack<HistoryPage>> {
    this.checkSession(socket);
    this.enteredById(socket, roomId);
    const from = await this.rooms.readableFrom(roomId, socket.data.userId);
    return { ok: true, result: await this.messages.resync(roomId, from, afterSeq) };
  }

  @SubscribeMessage(CHAT_EVENTS.read)
  async read(@ConnectedSocket() socket: ChatSocket, @MessageBody() { roomId, seq }: ReadDto): Promise<Ack<{ seq: number }>> {
    this.checkSession(socket);
    this.enteredById(socket, roomId);
    return { ok: true, result: { seq: await this.rooms.markRead(roomId, socket.data.userId, seq) } };
  }

  @SubscribeMessage(CHAT_EVENTS.newEpoch)
  async newEpoch(@ConnectedSocket() socket: ChatSocket, @MessageBody() { roomId, epoch, boxes, announcement }: NewEpochDto): Promise<Ack<{ epoch: number }>> {
    this.checkSession(socket);
    await refusalToChatError(this.keys.newEpoch(socket.data.userId, roomId, epoch, boxes, announcement));
    const notice: EpochNotice = { roomId, code: await this.rooms.codeOf(roomId), epoch };
    this.server.to(membersChannel(roomId)).emit(CHAT_EVENTS.epoch, notice);
    return { ok: true, result: { epoch } };
  }

  @SubscribeMessage(CHAT_EVENTS.keyRequest)
  async keyRequest(@ConnectedSocket() socket: ChatSocket, @MessageBody() { roomId, epochs: unusable }: KeyRequestDto): Promise<Ack<KeyRequestResult>> {
    this.checkSession(socket);
    const epochs = await refusalToChatError(this.keys.request(socket.data.userId, roomId, unusable));
    if (epochs.length) {
      const [user] = await this.users.findByIds([socket.data.userId]);
      const ask: KeyRequested = { roomId, code: await this.rooms.codeOf(roomId), requesterId: socket.data.userId, publicKeys: { enc: user!.encPublicKey, sig: user!.sigPublicKey }, epochs };
      // Online members answer; if none is online the request waits in the database for the next one.
      this.server.to(membersChannel(roomId)).except(userChannel(socket.data.userId)).emit(CHAT_EVENTS.keyRequested, ask);
    }
    return { ok: true, result: { waiting: epochs.length > 0, epochs } };
  }

  @SubscribeMessage(CHAT_EVENTS.keyShare)
  async keyShare(@ConnectedSocket() socket: ChatSocket, @MessageBody() { roomId, boxes }: KeyShareDto): Promise<Ack<{ stored: number }>> {
    this.checkSession(socket);
    const { stored, delivered } = await refusalToChatError(this.keys.share(socket.data.userId, roomId, boxes));
    const code = await this.rooms.codeOf(roomId);
    for (const [recipientId, epochs] of delivered) {
      const notice: KeyAvailable = { roomId, code, epochs };
      this.server.to(userChannel(recipientId)).emit(CHAT_EVENTS.keyAvailable, notice);
    }
    return { ok: true, result: { stored } };
  }

  @SubscribeMessage(CHAT_EVENTS.keyBoxes)
  async keyBoxes(@ConnectedSocket() socket: ChatSocket, @MessageBody() { roomId }: RoomIdDto): Promise<Ack<KeyMaterial>> {
    this.checkSession(socket);
    await this.rooms.readableFrom(roomId, socket.data.userId); // members only
    return { ok: true, result: await this.keys.keyMaterial(socket.data.userId, roomId) };
  }

  /** Key work waiting for this member: requests they can serve, rooms that need a new epoch. */
  private async offerKeyWork(socket: ChatSocket, roomIds: string[]): Promise<void> {
    for (const ask of await this.keys.pendingFor(socket.data.userId, roomIds)) socket.emit(CHAT_EVENTS.keyRequested, ask satisfies KeyRequested);
    for (const rotation of await this.keys.rotations(roomIds)) socket.emit(CHAT_EVENTS.rotate, rotation);
  }

  /** The code under which the socket entered room `roomId`. */
  private enteredById(socket: ChatSocket, roomId: string): string {
    const code = Object.keys(socket.data.entered).find((c) => socket.data.entered[c] === roomId);
    if (!code) throw new ChatError('not-entered', 'Enter the room first');
    this.enteredRoom(socket, code);
    return code;
  }

  /** The room the socket entered under `code`; membership was checked when it entered. */
  private enteredRoom(socket: ChatSocket, code: string): string {
    const roomId = socket.data.entered[code];
    if (!roomId || !socket.rooms.has(roomChannel(roomId))) throw new ChatError('not-entered', `Enter room ${code} first`);
    return roomId;
  }

  private async authenticate(socket: ChatSocket): Promise<void> {
    const req = socket.request as unknown as Request;
    await this.loadSession(req);
    const { userId, signedInAt } = req.session ?? {};
    if (!userId || !signedInAt || Date.now() - signedInAt > this.config.auth.sessionMaxSeconds * 1000) throw new Error('no session');
    const user = await this.users.findById(userId);
    if (!user) throw new Error('no user');
    socket.data.userId = userId;
    socket.data.username = user.username;
    socket.data.sessionId = req.sessionID;
    socket.data.signedInAt = signedInAt;
    socket.data.address = clientAddress(socket.request, this.config.trustProxy);
    // Everything needed is copied. engine.io keeps the upgrade request as long as the connection
    // lives; what the session added to it need not stay with it.
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

  /** Every event: the session must still be within its absolute limit (the sweeper catches the rest). */
  private checkSession(socket: ChatSocket): void {
    if (Date.now() - socket.data.signedInAt > this.config.auth.sessionMaxSeconds * 1000) {
      this.endSession(socket, 'Your session has expired: sign in again');
      throw new ChatError('unauthorized', 'Your session has expired: sign in again');
    }
  }

  /** Closes the sockets of sessions that ended: sign-out, password change elsewhere, idle or absolute expiry. */
  private async sweepSessions(): Promise<void> {
    const sockets = (await this.server.local.fetchSockets()) as unknown as ChatSocket[];
    if (!sockets.length) return;
    const live = await this.sessionStore.liveSessionIds([...new Set(sockets.map((s) => s.data.sessionId))]);
    const maxMs = this.config.auth.sessionMaxSeconds * 1000;
    for (const socket of sockets) {
      if (!live.has(socket.data.sessionId) || Date.now() - socket.data.signedInAt > maxMs) this.endSession(socket, 'Your session ended: sign in again');
    }
  }

  /** IDLE_WARN_SECONDS without activity: a warning; IDLE_KICK_SECONDS: a disconnect with the reason. */
  private async sweepIdle(): Promise<void> {
    const { warnSeconds, kickSeconds } = this.config.chat.idle;
    const now = Date.now();
    for (const socket of (await this.server.local.fetchSockets()) as unknown as ChatSocket[]) {
      const idleMs = now - socket.data.lastActive;
      if (kickSeconds && idleMs >= kickSeconds * 1000) {
        const kick: IdleKick = { reason: `Disconnected after ${kickSeconds} seconds without activity` };
        socket.emit(CHAT_EVENTS.idleKick, kick);
        socket.disconnect(true);
      } else if (warnSeconds && idleMs >= warnSeconds * 1000 && !socket.data.warned) {
        socket.data.warned = true;
        const secondsLeft = kickSeconds ? kickSeconds - warnSeconds : 0;
        const warning: IdleWarning = {
          secondsLeft,
          message: kickSeconds ? `You have been inactive: you will be disconnected in ${secondsLeft} seconds unless you send something` : 'You have been inactive',
        };
        socket.emit(CHAT_EVENTS.idleWarning, warning);
      }
    }
  }

  private endSession(socket: ChatSocket, reason: string): void {
    const notice: SessionEnded = { reason };
    socket.emit(CHAT_EVENTS.sessionEnded, notice);
    socket.disconnect(true);
  }

  private async onMembership(change: { roomId: string; code: string; userId: string; change: 'joined' | 'left' | 'removed' }): Promise<void> {
    const sockets = this.server.in(userChannel(change.userId));
    if (change.change === 'joined') {
      const [joiner] = await usersIn(this.server, userChannel(change.userId));
      const others = (await usersIn(this.server, membersChannel(change.roomId))).filter((u) => u.userId !== change.userId);
      sockets.socketsJoin(membersChannel(change.roomId));
      if (!joiner) return;
      // Presence now covers the new room too: both sides learn who is online.
      this.server.to(membersChannel(change.roomId)).except(userChannel(change.userId)).emit(CHAT_EVENTS.presence, { ...joiner, online: true } satisfies PresenceChange);
      for (const other of others) this.server.to(userChannel(change.userId)).emit(CHAT_EVENTS.presence, { ...other, online: true } satisfies PresenceChange);
      return;
    }
    // Cut off at once: out of the live channel and of presence, on every instance.
    sockets.socketsLeave([roomChannel(change.roomId), membersChannel(change.roomId)]);
    const notice: RoomRemoved = { code: change.code, reason: change.change };
    this.server.to(userChannel(change.userId)).emit(CHAT_EVENTS.removed, notice);
    await this.broadcastRoster(change.code, change.roomId);
    // Whoever is online answers first and makes the next epoch for those who remain.
    const rotation = await this.keys.rotation(change.roomId);
    if (rotation) this.server.to(membersChannel(change.roomId)).emit(CHAT_EVENTS.rotate, rotation);
  }

  private async broadcastRoster(code: string, roomId: string): Promise<void> {
    const roster: RoomRoster = { code, present: await usersIn(this.server, roomChannel(roomId)) };
    this.server.to(roomChannel(roomId)).emit(CHAT_EVENTS.roster, roster);
  }

  private announcePresence(socket: ChatSocket, roomIds: string[], change: PresenceChange): void {
    socket.broadcast.to(roomIds.map(membersChannel)).except(userChannel(change.userId)).emit(CHAT_EVENTS.presence, change);
  }
}

/** A refused key operation, as the coded socket error the client sees. */
async function refusalToChatError<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof KeyRefusal) throw new ChatError(err.code, err.message, err.currentEpoch === undefined ? {} : { currentEpoch: err.currentEpoch });
    throw err;
  }
}
