import { pbkdf2Sync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Ack, AUTH_PATHS, CHAT_EVENTS, CLIENT_EVENTS, type EnterRoomResult, ROOM_PATHS, SERVER_EVENTS, SESSION_COOKIE, SOCKET_ERROR_CODES } from '@conclave/contracts';
import yaml from 'js-yaml';
import { io, type Socket } from 'socket.io-client';
import request from 'supertest';
import * as cryptoLabels from '../../libs/crypto/dist/labels.js';
import { FAST_AUTH_ENV, newAccount, registerBody } from '../support/accounts.js';
import { REPO_ROOT, ServerProcess } from '../support/server.js';
import { ask, connected } from '../support/sockets.js';

/**
 * docs/asyncapi.yaml and docs/protocol.md against the wire contract (libs/contracts) and the crypto
 * library's labels, so neither document can fall behind an event, an error code, a path or a label;
 * then a client written from docs/protocol.md alone (no altcha-lib, no browser helpers) against a
 * real server: the ALTCHA payload, the Origin rule for REST and the socket, the first epoch number.
 */

type Json = { [key: string]: unknown };
const asyncapi = yaml.load(readFileSync(resolve(REPO_ROOT, 'docs/asyncapi.yaml'), 'utf8')) as Json;
const protocol = readFileSync(resolve(REPO_ROOT, 'docs/protocol.md'), 'utf8');

/** A local $ref ("#/a/b") of the AsyncAPI document. */
function resolveRef(ref: string): Json {
  expect(ref.startsWith('#/')).toBe(true);
  let node: unknown = asyncapi;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Json | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
    if (node === undefined) throw new Error(`${ref} does not resolve`);
  }
  return node as Json;
}

const refOf = (node: unknown) => (node as { $ref: string }).$ref;

interface Operation {
  action: 'send' | 'receive';
  channel: { $ref: string };
  messages: Array<{ $ref: string }>;
  reply?: { channel: { $ref: string }; messages: Array<{ $ref: string }> };
}
const operations = Object.entries(asyncapi.operations as Record<string, Operation>);
const addressOf = (op: Operation) => resolveRef(op.channel.$ref).address as string;

describe('docs/asyncapi.yaml', () => {
  it('is an AsyncAPI 3.0 document whose every $ref resolves', () => {
    expect(asyncapi.asyncapi).toBe('3.0.0');
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') for (const [key, value] of Object.entries(node)) key === '$ref' ? refs.push(value as string) : walk(value);
    };
    walk(asyncapi);
    expect(refs.length).toBeGreaterThan(100);
    for (const ref of refs) expect(() => resolveRef(ref)).not.toThrow();
  });

  it('has every client → server event as a receive and every server → client event as a send, and nothing else', () => {
    const received = operations.filter(([, op]) => op.action === 'receive').map(([, op]) => addressOf(op));
    const sent = operations.filter(([, op]) => op.action === 'send').map(([, op]) => addressOf(op));
    expect(operations.every(([, op]) => op.action === 'receive' || op.action === 'send')).toBe(true);
    expect(received.sort()).toEqual(Object.keys(CLIENT_EVENTS).sort());
    expect(sent.sort()).toEqual(Object.keys(SERVER_EVENTS).sort());
    // Every channel is an event some operation uses, and every CHAT_EVENTS name is one of them.
    const channels = Object.values(asyncapi.channels as Record<string, { address: string }>).map((c) => c.address);
    expect([...new Set(channels)].sort()).toEqual([...new Set([...received, ...sent])].sort());
    expect(new Set(channels)).toEqual(new Set(Object.values(CHAT_EVENTS)));
  });

  it('gives every message its event name and a payload schema, from its own channel', () => {
    for (const [id, op] of operations) {
      const address = addressOf(op);
      expect({ id, messages: op.messages.length }).toEqual({ id, messages: 1 });
      for (const ref of [...op.messages, ...(op.reply?.messages ?? [])].map(refOf)) {
        expect(ref.startsWith(`${op.channel.$ref}/messages/`)).toBe(true);
      }
      const message = resolveRef(refOf(op.messages[0]));
      const resolved = message.$ref ? resolveRef(refOf(message)) : message;
      expect({ id, name: resolved.name }).toEqual({ id, name: address });
      expect(resolved.payload).toBeDefined();
    }
  });

  it('answers exactly the acknowledged events, each with { ok: true, result } or { ok: false, error }', () => {
    for (const [event, ack] of Object.entries(CLIENT_EVENTS)) {
      const [id, op] = operations.find(([, o]) => o.action === 'receive' && addressOf(o) === event)!;
      expect({ id, reply: op.reply !== undefined }).toEqual({ id, reply: ack === 'ack' });
      if (!op.reply) continue;
      expect(op.reply.channel.$ref).toBe(op.channel.$ref);
      const message = resolveRef(refOf(resolveRef(refOf(op.reply.messages[0]))));
      const branches = (message.payload as { oneOf: Json[] }).oneOf;
      expect(branches).toHaveLength(2);
      const success = branches.find((b) => !b.$ref) as { required: string[]; properties: { ok: { const: boolean }; result: unknown } };
      expect(success.required).toEqual(['ok', 'result']);
      expect(success.properties.ok.const).toBe(true);
      expect(success.properties.result).toBeDefined();
      expect(branches.find((b) => b.$ref)?.$ref).toBe('#/components/schemas/AckFailure');
    }
    const failure = resolveRef('#/components/schemas/AckFailure') as { properties: { ok: { const: boolean }; error: unknown } };
    expect(failure.properties.ok.const).toBe(false);
    expect(refOf(failure.properties.error)).toBe('#/components/schemas/SocketError');
    expect(refOf(resolveRef('#/components/messages/ChatError').payload)).toBe('#/components/schemas/SocketError');
  });

  it('lists exactly the socket error codes of the contract in its error schema', () => {
    expect(refOf((resolveRef('#/components/schemas/SocketError').properties as Json).code)).toBe('#/components/schemas/SocketErrorCode');
    expect([...(resolveRef('#/components/schemas/SocketErrorCode').enum as string[])].sort()).toEqual(Object.keys(SOCKET_ERROR_CODES).sort());
  });
});

describe('docs/protocol.md', () => {
  it('names every socket event and every socket error code', () => {
    for (const name of [...Object.keys(CLIENT_EVENTS), ...Object.keys(SERVER_EVENTS), ...Object.keys(SOCKET_ERROR_CODES)]) {
      expect({ name, documented: protocol.includes(`\`${name}\``) }).toEqual({ name, documented: true });
    }
  });

  it('names every REST path of the contract', () => {
    const placeholder = (name: string) => `\u0000${name}\u0000`;
    const paths = [...Object.values(AUTH_PATHS), ...Object.values(ROOM_PATHS)].map((path) =>
      typeof path === 'string' ? path : (path as (...args: string[]) => string)(placeholder('code'), placeholder('userId')),
    );
    for (const path of paths) {
      // The functions' parameters, written as the document writes them (:code, :userId, :inviteId, :id).
      const written = path
        .replaceAll(encodeURIComponent(placeholder('code')), ':code')
        .replace(/\/invites\/[^/]+\/revoke$/, '/invites/:inviteId/revoke')
        .replace(/\/members\/[^/]+\/remove$/, '/members/:userId/remove')
        .replace(/^\/api\/users\/[^/]+\/keys$/, '/api/users/:id/keys');
      expect({ path: written, documented: protocol.includes(`${written}\``) || protocol.includes(`${written} `) }).toEqual({ path: written, documented: true });
    }
  });

  it('names every label of the crypto library', () => {
    const labels = Object.values(cryptoLabels).flatMap((value): unknown[] => (value && typeof value === 'object' ? Object.values(value) : [value]));
    const strings = labels.filter((label): label is string => typeof label === 'string' && label.startsWith('conclave/'));
    expect(strings.length).toBeGreaterThan(5);
    for (const label of strings) expect({ label, documented: protocol.includes(label.replaceAll('|', '\\|')) || protocol.includes(label) }).toEqual({ label, documented: true });
  });
});

describe('a client written from docs/protocol.md', () => {
  let server: ServerProcess;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = await ServerProcess.start({ env: FAST_AUTH_ENV });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await server?.stop();
  });

  const http = () => request(server.origin);
  /** A socket as §3.2 describes it: websocket, the session cookie, and no Origin unless given. */
  const socketFor = (cookie: string | undefined, origin?: string) => {
    const socket = io(server.origin, {
      transports: ['websocket'],
      ca: server.certificate.toString(),
      extraHeaders: { ...(cookie ? { Cookie: cookie } : {}), ...(origin ? { Origin: origin } : {}) },
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    return socket;
  };

  /** §4.2: try counters until PBKDF2(nonce ‖ uint32 BE counter, salt, cost) starts with keyPrefix; base64 of the JSON {challenge, solution}. */
  function solveAltcha(challenge: { parameters: { algorithm: string; nonce: string; salt: string; cost: number; keyLength: number; keyPrefix: string } }): string {
    const { algorithm, nonce, salt, cost, keyLength, keyPrefix } = challenge.parameters;
    expect(algorithm).toBe('PBKDF2/SHA-256');
    for (let counter = 0; counter <= 0xffffffff; counter++) {
      const password = Buffer.alloc(nonce.length / 2 + 4);
      Buffer.from(nonce, 'hex').copy(password);
      password.writeUInt32BE(counter, nonce.length / 2);
      const derivedKey = pbkdf2Sync(password, Buffer.from(salt, 'hex'), cost, keyLength, 'sha256').toString('hex');
      if (derivedKey.startsWith(keyPrefix)) return Buffer.from(JSON.stringify({ challenge, solution: { counter, derivedKey } })).toString('base64');
    }
    throw new Error('no counter solves the challenge');
  }

  it('registers with the ALTCHA payload, signs in, and follows the Origin rule on REST and the socket', async () => {
    const eve = await newAccount('eve');
    const captcha = await http().get(AUTH_PATHS.captcha).ca(server.certificate).expect(200);
    expect(captcha.body.provider).toBe('altcha');
    // No cookie and no Origin: registration and a first sign-in pass without one.
    await http().post(AUTH_PATHS.register).ca(server.certificate).send(registerBody(eve, solveAltcha(captcha.body.challenge))).expect(201);
    // The same solution again: each challenge counts once.
    const reused = await http().post(AUTH_PATHS.register).ca(server.certificate).send(registerBody(await newAccount('eve2'), solveAltcha(captcha.body.challenge))).expect(400);
    expect(reused.body.message).toMatch(/Captcha not solved/);
    const login = await http().post(AUTH_PATHS.login).ca(server.certificate).send({ username: 'eve', authKey: eve.keys.authKey }).expect(200);
    const cookie = [login.headers['set-cookie']].flat().find((c: string) => c.startsWith(`${SESSION_COOKIE}=`))!.split(';')[0]!;

    // REST: a GET needs no Origin; a POST with the cookie needs the server's own Origin.
    await http().get(ROOM_PATHS.rooms).ca(server.certificate).set('Cookie', cookie).expect(200);
    await http().post(ROOM_PATHS.rooms).ca(server.certificate).set('Cookie', cookie).send({ name: 'Docs', history: 'shared' }).expect(403);
    const created = await http().post(ROOM_PATHS.rooms).ca(server.certificate).set('Cookie', cookie).set('Origin', server.origin).send({ name: 'Docs', history: 'shared' }).expect(201);
    const code: string = created.body.code;

    // The socket: the cookie alone; an Origin of another site is refused.
    await expect(connected(socketFor(cookie, 'https://evil.example'))).rejects.toThrow();
    const socket = socketFor(cookie);
    await connected(socket);

    // A room with no key yet already reports epoch 1: the first epoch to make is 1.
    const entered = (await ask<Ack<EnterRoomResult>>(socket, 'room:enter', { code: code.toLowerCase() })) as Extract<Ack<EnterRoomResult>, { ok: true }>;
    expect(entered.ok).toBe(true);
    expect(entered.result).toEqual({ roomId: created.body.id, code, currentEpoch: 1, lastSeq: 0 });
    expect(created.body.currentEpoch).toBe(1);
    // room:leave leaves the live channel and answers { code }; message events then need room:enter again, key events do not.
    expect(await ask(socket, 'room:leave', { code })).toEqual({ ok: true, result: { code } });
    const history = (await ask<Ack<unknown>>(socket, 'message:history', { roomId: created.body.id })) as Extract<Ack<unknown>, { ok: false }>;
    expect(history.error.code).toBe('not-entered');
    expect(await ask<Ack<unknown>>(socket, 'key:boxes', { roomId: created.body.id })).toMatchObject({ ok: true });
  });
});
