import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { type INestApplication, Module, UseFilters, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConnectedSocket, MessageBody, type OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { CHAT_EVENTS } from '@conclave/contracts';
import { io, type Socket } from 'socket.io-client';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { ConclaveServer, ConclaveSocket } from '../realtime/conclave-socket.js';
import { roomChannel } from '../realtime/presence.js';
import { SocketErrorFilter } from '../realtime/socket-errors.js';
import { SocketSessionGuard, SocketUserId } from '../realtime/socket-session.guard.js';
import { HistoryDto, RoomRefDto } from './dto.js';
import { EnteredRoom, EnteredRoomGuard } from './entered-room.guard.js';
import { ConclaveSocketAdapter } from './socket-adapter.js';

const ROOM = '0b7e6a52-3c1f-4d2a-9e8b-5f4c3d2b1a00';
const OTHER_ROOM = '1c8f7b63-4d20-4e3b-8f9c-6a5d4e3c2b11';
const SESSION_MAX_SECONDS = 60;

/** The guards and decorators as the chat gateway uses them, on a real Socket.IO server. */
@WebSocketGateway()
@UseFilters(SocketErrorFilter)
@UseGuards(SocketSessionGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
class ProbeGateway implements OnGatewayInit {
  handled = 0;

  /** Stands in for ChatGateway's handshake: the test says who the socket is and when it signed in. */
  afterInit(server: ConclaveServer): void {
    server.use((socket, next) => {
      const { userId, signedInAt } = socket.handshake.auth as { userId: string; signedInAt: number };
      Object.assign(socket.data, { userId, username: userId, sessionId: 's', signedInAt, address: '127.0.0.1', entered: {}, lastActive: 0, warned: false });
      next();
    });
  }

  /** As room:enter does once membership is checked. */
  @SubscribeMessage('probe:enter')
  async enter(@ConnectedSocket() socket: ConclaveSocket, @MessageBody() { code, roomId }: { code: string; roomId: string }): Promise<{ ok: true }> {
    await socket.join(roomChannel(roomId));
    socket.data.entered[code] = roomId;
    return { ok: true };
  }

  /** As a removal does: out of the live channel, while the entered map still names the room. */
  @SubscribeMessage('probe:cut-off')
  async cutOff(@ConnectedSocket() socket: ConclaveSocket, @MessageBody() { roomId }: { roomId: string }): Promise<{ ok: true }> {
    await socket.leave(roomChannel(roomId));
    return { ok: true };
  }

  @SubscribeMessage(CHAT_EVENTS.leave)
  @UseGuards(EnteredRoomGuard)
  byCode(@EnteredRoom() roomId: string, @SocketUserId() userId: string, @MessageBody() { code }: RoomRefDto) {
    this.handled++;
    return { ok: true, result: { roomId, userId, code } };
  }

  @SubscribeMessage(CHAT_EVENTS.history)
  @UseGuards(EnteredRoomGuard)
  byId(@EnteredRoom() roomId: string, @MessageBody() body: HistoryDto) {
    this.handled++;
    return { ok: true, result: { roomId, asked: body.roomId } };
  }
}

@Module({ providers: [ProbeGateway, { provide: APP_CONFIG, useValue: { auth: { sessionMaxSeconds: SESSION_MAX_SECONDS } } }] })
class ProbeModule {}

describe('SocketSessionGuard, EnteredRoomGuard and @EnteredRoom() on a socket', () => {
  let app: INestApplication;
  let gateway: ProbeGateway;
  let base: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, { logger: false });
    app.useWebSocketAdapter(new ConclaveSocketAdapter(app, { quotas: { socketHandshakeMs: 5000 }, trustProxy: false } as AppConfig));
    await app.listen(0, '127.0.0.1');
    gateway = app.get(ProbeGateway);
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await app?.close();
  });

  async function connect(userId: string, signedInAt = Date.now()): Promise<Socket> {
    const socket = io(base, { transports: ['websocket'], auth: { userId, signedInAt }, forceNew: true, reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  }
  const ask = (socket: Socket, event: string, payload: unknown) => socket.timeout(3000).emitWithAck(event, payload);

  it('hands the handler the room the socket entered, by code (normalised as the DTO does) or by id, with the user', async () => {
    const socket = await connect('ann');
    await ask(socket, 'probe:enter', { code: 'ABCD', roomId: ROOM });
    expect(await ask(socket, CHAT_EVENTS.leave, { code: ' abcd ' })).toEqual({ ok: true, result: { roomId: ROOM, userId: 'ann', code: 'ABCD' } });
    expect(await ask(socket, CHAT_EVENTS.history, { roomId: ROOM })).toEqual({ ok: true, result: { roomId: ROOM, asked: ROOM } });
  });

  it('refuses a room the socket did not enter, or was cut off from, with not-entered, before the handler runs', async () => {
    const socket = await connect('ben');
    await ask(socket, 'probe:enter', { code: 'WXYZ', roomId: OTHER_ROOM });
    const before = gateway.handled;
    expect(await ask(socket, CHAT_EVENTS.leave, { code: 'ABCD' })).toMatchObject({ ok: false, error: { code: 'not-entered', message: 'Enter room ABCD first' } });
    expect(await ask(socket, CHAT_EVENTS.history, { roomId: ROOM })).toMatchObject({ ok: false, error: { code: 'not-entered', message: 'Enter the room first' } });
    await ask(socket, 'probe:cut-off', { roomId: OTHER_ROOM });
    expect(await ask(socket, CHAT_EVENTS.leave, { code: 'WXYZ' })).toMatchObject({ ok: false, error: { code: 'not-entered' } });
    expect(await ask(socket, CHAT_EVENTS.history, { roomId: OTHER_ROOM })).toMatchObject({ ok: false, error: { code: 'not-entered' } });
    expect(gateway.handled).toBe(before);
  });

  it('leaves a payload that names no room to the validation pipe (invalid-payload), whatever its shape', async () => {
    const socket = await connect('cat');
    for (const [event, payload] of [
      [CHAT_EVENTS.leave, { code: 42 }],
      [CHAT_EVENTS.leave, { code: 'toolong' }],
      [CHAT_EVENTS.leave, 42],
      [CHAT_EVENTS.history, { roomId: 'not a uuid' }],
      [CHAT_EVENTS.history, { roomId: null }],
      [CHAT_EVENTS.history, 'text'],
    ] as const) {
      expect(await ask(socket, event, payload)).toMatchObject({ ok: false, error: { code: 'invalid-payload', event } });
    }
  });

  it('ends a session past its absolute limit at its next event: session:ended, the socket closed, the handler not run', async () => {
    const socket = await connect('dan', Date.now() - (SESSION_MAX_SECONDS + 1) * 1000);
    const ended = new Promise((resolve) => socket.once(CHAT_EVENTS.sessionEnded, resolve));
    const closed = new Promise((resolve) => socket.once('disconnect', resolve));
    const before = gateway.handled;
    socket.emit(CHAT_EVENTS.history, { roomId: ROOM });
    expect(await ended).toEqual({ reason: 'Your session has expired: sign in again' });
    expect(await closed).toBe('io server disconnect');
    expect(gateway.handled).toBe(before);
  });
});
