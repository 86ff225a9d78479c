import { PASSWORD_VERIFIER_ID, ROOM_MEMBERS_MAX, ROOM_NAME_MAX_CHARS, ROOM_PATHS, type JoinRequest, type RoomSummary, type RoomUpdated } from '@conclave/contracts';
import { checkJoinProof, openVerifier } from '@conclave/crypto';
import type { Socket } from 'socket.io-client';
import request from 'supertest';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { askToJoin, createRoom, joinAndAdmit, passwordJoin, setRoomPassword } from '../support/membership.js';
import { type OpenApiDocument, ResponseConformance } from '../support/openapi.js';
import { ServerProcess } from '../support/server.js';
import { CHAT_EVENTS, connect, connected, makeFirstEpoch, next, sessionCookie } from '../support/sockets.js';

/**
 * Room settings for the owner (docs/protocol.md §6): PATCH /api/rooms/:code renames the room or
 * changes its member limit (never below its members), PUT / DELETE .../password change or remove the
 * end-to-end password (the server only ever gets what the owner's browser derives), and every member's
 * sockets are told ('room:updated'). A member who is not the owner gets 403, a bad body 400, and
 * neither changes anything.
 */
let server: ServerProcess;
const NAMES = ['ann', 'ben', 'cat', 'dan', 'eve'] as const;
type Name = (typeof NAMES)[number];
const people = {} as Record<Name, { account: Account; rest: Client; socket?: Socket }>;
let room: RoomSummary;
let epochKey: CryptoKey;

async function online(name: Name): Promise<Socket> {
  const socket = connect(server, await sessionCookie(server, people[name].account));
  await connected(socket);
  people[name].socket = socket;
  return socket;
}

/** The room as `name` lists it (GET /api/rooms). */
const listed = async (name: Name, code = room.code) => ((await people[name].rest.get(ROOM_PATHS.rooms).expect(200)).body as RoomSummary[]).find((r) => r.code === code);
const stored = async (code = room.code) =>
  (await sql<{ name: string; max_members: number; password_hash: string | null; password_sealed_ct: string | null }>(
    server,
    `SELECT name, max_members, password_hash, password_sealed_ct FROM rooms WHERE code = $1`,
    [code],
  ))[0]!;
const audit = (event: string, actor: Name) => sql(server, `SELECT details FROM audit_log WHERE event = $1 AND actor_id = $2 ORDER BY id`, [event, people[actor].account.userId]);
const updateOf = (socket: Socket, where: (u: RoomUpdated) => boolean = () => true) => next(socket, CHAT_EVENTS.roomUpdated, (u) => u.roomId === room.id && where(u));

beforeAll(async () => {
  server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '1000' } });
  for (const name of NAMES) {
    const account = await newAccount(name);
    people[name] = { account, rest: await registeredClient(server, account) };
  }
  const ann = await online('ann');
  room = await createRoom(server, { ...people.ann, socket: ann }, { name: 'Design', maxMembers: 10, history: 'shared' });
  epochKey = await makeFirstEpoch(ann, room.id, people.ann.account, [people.ann.account]);
  await joinAndAdmit(server, people.ben, room, { account: people.ann.account, socket: ann });
  await online('ben');
});

afterAll(async () => {
  for (const person of Object.values(people)) person.socket?.disconnect();
  await server?.stop();
});

describe('renaming and the member limit (PATCH /api/rooms/:code)', () => {
  it('lets the owner rename the room and change its limit; every member sees the new name at once, live and in their list', async () => {
    const benHears = updateOf(people.ben.socket!);
    const annHears = updateOf(people.ann.socket!);
    const answer = await people.ann.rest.patch(ROOM_PATHS.room(room.code.toLowerCase()), { name: '  Design crew ', maxMembers: 5 }).expect(200);
    expect(answer.body).toMatchObject({ id: room.id, code: room.code, name: 'Design crew', maxMembers: 5, role: 'owner', memberCount: 2, hasPassword: false });
    const expected: RoomUpdated = { roomId: room.id, code: room.code, name: 'Design crew', maxMembers: 5, hasPassword: false };
    expect(await benHears).toEqual(expected);
    expect(await annHears).toEqual(expected);
    expect(await listed('ben')).toMatchObject({ name: 'Design crew', maxMembers: 5, role: 'member' });

    // One field alone changes that field only.
    await people.ann.rest.patch(ROOM_PATHS.room(room.code), { name: 'Design' }).expect(200);
    expect(await stored()).toMatchObject({ name: 'Design', max_members: 5 });
    await people.ann.rest.patch(ROOM_PATHS.room(room.code), { maxMembers: 8 }).expect(200);
    expect(await stored()).toMatchObject({ name: 'Design', max_members: 8 });
    expect(await audit('room.settings_changed', 'ann')).toEqual([
      { details: { roomId: room.id, fields: 'name,maxMembers', maxMembers: 5 } },
      { details: { roomId: room.id, fields: 'name' } },
      { details: { roomId: room.id, fields: 'maxMembers', maxMembers: 8 } },
    ]);
  });

  it('refuses a member who is not the owner (403) and anyone outside the room (404), changing nothing', async () => {
    const before = await stored();
    expect((await people.ben.rest.patch(ROOM_PATHS.room(room.code), { name: 'Mine now' }).expect(403)).body.message).toBe('Only the room owner can change its settings');
    const outside = await people.eve.rest.patch(ROOM_PATHS.room(room.code), { name: 'Mine now' }).expect(404);
    const nowhere = await people.eve.rest.patch(ROOM_PATHS.room('ZZZZ'), { name: 'Mine now' }).expect(404);
    expect(outside.body).toEqual({ ...nowhere.body, message: nowhere.body.message.replace('ZZZZ', room.code) });
    expect(await stored()).toEqual(before);
  });

  it.each([
    [{}, 'Give name or maxMembers (or both) to change'],
    [{ name: '' }, 'name must not be empty'],
    [{ name: '    ' }, 'name must not be empty'],
    [{ name: 'x'.repeat(ROOM_NAME_MAX_CHARS + 1) }, `name must be at most ${ROOM_NAME_MAX_CHARS} characters`],
    [{ name: null }, 'name must be a string'],
    [{ name: 42 }, 'name must be a string'],
    [{ maxMembers: 1 }, `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}`],
    [{ maxMembers: ROOM_MEMBERS_MAX + 1 }, `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}`],
    [{ maxMembers: 4.5 }, `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}`],
    [{ maxMembers: '6' }, `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}`],
    [{ maxMembers: null }, `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}`],
    [{ name: 'Fine', history: 'joined' }, 'property history should not exist'],
    [{ name: 'Fine', maxMembers: 0 }, `maxMembers must be a whole number from 2 to ${ROOM_MEMBERS_MAX}`],
  ])('refuses %j with 400 and a message, changing nothing', async (body, message) => {
    const before = await stored();
    const answer = await people.ann.rest.patch(ROOM_PATHS.room(room.code), body).expect(400);
    expect([answer.body.message].flat()).toContain(message);
    expect(await stored()).toEqual(before);
  });

  it('refuses a limit below the current number of members (409, nothing changed); at that number the room is full for the next joiner', async () => {
    await joinAndAdmit(server, people.cat, room, { account: people.ann.account, socket: people.ann.socket });
    const before = await stored();
    expect((await people.ann.rest.patch(ROOM_PATHS.room(room.code), { name: 'Smaller', maxMembers: 2 }).expect(409)).body.message).toBe(
      'This room has 3 members: the member limit cannot be below that (2 asked); remove members first',
    );
    expect(await stored()).toEqual(before);

    expect((await people.ann.rest.patch(ROOM_PATHS.room(room.code), { maxMembers: 3 }).expect(200)).body).toMatchObject({ maxMembers: 3, memberCount: 3 });
    expect((await people.dan.rest.post(ROOM_PATHS.join(room.code), {}).expect(409)).body.message).toBe('This room is full (3 members)');
    await people.ann.rest.patch(ROOM_PATHS.room(room.code), { maxMembers: 10 }).expect(200);
  });
});

describe('changing and removing the password (PUT / DELETE /api/rooms/:code/password)', () => {
  it('changes the password as the owner\u2019s browser derives it: the new one opens the gate and its proof checks, the old one no longer does', async () => {
    const set = updateOf(people.ben.socket!, (u) => u.hasPassword);
    await setRoomPassword(people.ann.rest, room, 'first password', { epoch: 1, epochKey });
    expect(await set).toMatchObject({ hasPassword: true, name: 'Design' });
    const firstHash = (await stored()).password_hash;
    // Nothing the server keeps is the password.
    expect(JSON.stringify(await stored())).not.toContain('first password');

    await setRoomPassword(people.ann.rest, room, 'second password', { epoch: 1, epochKey });
    expect((await stored()).password_hash).not.toBe(firstHash);
    expect((await people.dan.rest.post(ROOM_PATHS.join(room.code), await passwordJoin('first password', room.code, people.dan.account)).expect(404)).body.message).toBe(
      `No room with code ${room.code}, or the password is wrong`,
    );

    const asked = next<JoinRequest>(people.ann.socket!, CHAT_EVENTS.admissionRequested, (r) => r.roomId === room.id && r.userId === people.dan.account.userId);
    expect(await askToJoin(people.dan.rest, room.code, await passwordJoin('second password', room.code, people.dan.account))).toMatchObject({
      status: 'pending',
      room: { via: 'password' },
    });
    const request = await asked;
    const admitKey = await openVerifier({ roomId: room.id, verifierId: PASSWORD_VERIFIER_ID, sealed: request.sealed!, epochKey });
    expect(await checkJoinProof(admitKey, { code: room.code, joinerId: request.userId, joinerKeys: request.publicKeys }, request.proof!)).toBe(true);
    await people.dan.rest.post(ROOM_PATHS.cancelJoin(room.code)).expect(204);
  });

  it('lets only the owner remove it, then a code alone asks for approval again (and the old password is just ignored)', async () => {
    expect((await people.ben.rest.delete(ROOM_PATHS.password(room.code)).expect(403)).body.message).toBe('Only the room owner can remove its password');
    await people.eve.rest.delete(ROOM_PATHS.password(room.code)).expect(404);
    expect((await stored()).password_hash).not.toBeNull();

    const removed = updateOf(people.ben.socket!, (u) => !u.hasPassword);
    await people.ann.rest.delete(ROOM_PATHS.password(room.code)).expect(204);
    expect(await removed).toEqual({ roomId: room.id, code: room.code, name: 'Design', maxMembers: 10, hasPassword: false });
    expect(await stored()).toMatchObject({ password_hash: null, password_sealed_ct: null });
    expect(await listed('ann')).toMatchObject({ hasPassword: false });
    expect(await audit('room.password_removed', 'ann')).toEqual([{ details: { roomId: room.id } }]);

    expect(await askToJoin(people.dan.rest, room.code)).toMatchObject({ status: 'pending', room: { via: 'approval' } });
    await people.dan.rest.post(ROOM_PATHS.cancelJoin(room.code)).expect(204);
    expect(await askToJoin(people.eve.rest, room.code, await passwordJoin('second password', room.code, people.eve.account))).toMatchObject({
      status: 'pending',
      room: { via: 'approval' },
    });
    await people.eve.rest.post(ROOM_PATHS.cancelJoin(room.code)).expect(204);
    // Removing it again changes nothing and is no error.
    await people.ann.rest.delete(ROOM_PATHS.password(room.code)).expect(204);
  });
});

describe('the OpenAPI document', () => {
  it('documents the answers of the settings routes as they really are', async () => {
    const conformance = new ResponseConformance((await request(server.origin).get('/api/docs-json').ca(server.certificate).expect(200)).body as OpenApiDocument);
    const patch = (name: Name, body: object, status: number) =>
      people[name].rest
        .patch(ROOM_PATHS.room(room.code), body)
        .expect(status)
        .then((res) => conformance.check('patch', '/api/rooms/{code}', status, res.body));
    await patch('ann', { name: 'Design' }, 200);
    await patch('ann', { name: '' }, 400);
    await patch('ben', { name: 'Mine' }, 403);
    await patch('ann', { maxMembers: 2 }, 409);
    await patch('eve', { name: 'Mine' }, 404);
    for (const [name, status] of [['ben', 403], ['eve', 404]] as const) {
      conformance.check('delete', '/api/rooms/{code}/password', status, (await people[name].rest.delete(ROOM_PATHS.password(room.code)).expect(status)).body);
    }
  });
});
