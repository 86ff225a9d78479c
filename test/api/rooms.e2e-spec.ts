import { randomBytes } from 'node:crypto';
import { type Ack, type CreateRoomRequest, ROOM_CODE_PATTERN, type RoomSummary } from '@conclave/contracts';
import { generateEpochKey } from '@conclave/crypto';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { admissionFor, askToJoin, createRoom, joinAndAdmit, passwordJoin, setRoomPassword, withSocket } from '../support/membership.js';
import { ServerProcess } from '../support/server.js';
import { ask, CHAT_EVENTS } from '../support/sockets.js';

let server: ServerProcess;
const people: Record<string, { account: Account; client: Client }> = {};
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

beforeAll(async () => {
  // Every user here is on the same address: its probe budget is not what this suite is about.
  server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000', ROOM_PROBES_PER_ADDRESS_PER_MINUTE: '1000' } });
  const accounts = await Promise.all(NAMES.map((name) => newAccount(name)));
  for (const account of accounts) people[account.username] = { account, client: await registeredClient(server, account) };
});

afterAll(async () => {
  await server?.stop();
});

const as = (name: string) => people[name]!.client;
const idOf = (name: string) => people[name]!.account.userId;
const create = async (name: string, body: object) => (await as(name).post('/api/rooms', body).expect(201)).body as RoomSummary;
/** A room with its genesis signed by the owner's browser, so its members can admit joiners. */
const start = (name: string, body: CreateRoomRequest) => createRoom(server, { account: people[name]!.account, rest: as(name) }, body);
/** `name` asks to join and the room's owner `admitter` admits them. */
const joinAdmitted = (name: string, room: RoomSummary, admitter: string) =>
  joinAndAdmit(server, { account: people[name]!.account, rest: as(name) }, room, { account: people[admitter]!.account });

const query = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => sql<T>(server, text, values);

describe('rooms', () => {
  it('creates a room with an unambiguous 4-character code; the creator is its owner and first member', async () => {
    const room = await create('alice', { name: '  Design team ', history: 'shared' });
    expect(room.code).toMatch(ROOM_CODE_PATTERN);
    expect(room).toMatchObject({ name: 'Design team', history: 'shared', role: 'owner', memberCount: 1, hasPassword: false, currentEpoch: 1, unread: 0, maxMembers: 1000 });
    const detail = (await as('alice').get(`/api/rooms/${room.code}`).expect(200)).body;
    expect(detail.members).toEqual([expect.objectContaining({ id: idOf('alice'), username: 'alice', role: 'owner', publicKeys: people.alice!.account.publicKeys })]);
  });

  it('draws codes from the whole alphabet without look-alikes', async () => {
    const codes = await Promise.all(Array.from({ length: 12 }, (_, i) => create('bob', { name: `room ${i}`, history: 'joined' }).then((r) => r.code)));
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).not.toMatch(/[01OIL]/);
  });

  it('lets a password room be joined with its joinKey only once the owner has set it, with clear refusals for a wrong key, an unknown code, or a full room', async () => {
    const room = await start('carol', { name: 'Secret', withPassword: true, maxMembers: 3, history: 'joined' });
    expect(room.hasPassword).toBe(true);
    const daveJoin = await passwordJoin('open sesame', room.code, people.dave!.account);
    // Not set yet: even the right joinKey is answered as an unknown code would be.
    expect((await as('dave').post(`/api/rooms/${room.code}/join`, daveJoin).expect(404)).body.message).toBe(`No room with code ${room.code}, or the password is wrong`);
    await setRoomPassword(as('carol'), room, 'open sesame', { epoch: 1, epochKey: await generateEpochKey() });
    // A password room answers as an unknown code does (room-oracle.e2e-spec.ts compares the two).
    expect((await as('dave').post(`/api/rooms/${room.code}/join`, {}).expect(404)).body.message).toBe(`No room with code ${room.code}, or it needs a password`);
    expect((await as('dave').post(`/api/rooms/${room.code}/join`, await passwordJoin('open says me', room.code, people.dave!.account)).expect(404)).body.message).toBe(
      `No room with code ${room.code}, or the password is wrong`,
    );
    expect(await askToJoin(as('dave'), room.code.toLowerCase(), daveJoin)).toMatchObject({ status: 'pending', room: { code: room.code, name: 'Secret', via: 'password' } });
    // Asking again is harmless.
    expect(await askToJoin(as('dave'), room.code, daveJoin)).toMatchObject({ status: 'pending' });
    await withSocket(server, people.carol!.account, async (socket) => {
      for (const name of ['dave', 'erin']) {
        if (name !== 'dave') await askToJoin(as(name), room.code, await passwordJoin('open sesame', room.code, people[name]!.account));
        expect(await ask(socket, CHAT_EVENTS.admissionGrant, { roomId: room.id, admission: await admissionFor(room.id, people.carol!.account, people[name]!.account, 'password') })).toMatchObject({ ok: true });
      }
    });
    expect(await askToJoin(as('dave'), room.code, daveJoin)).toMatchObject({ status: 'member', room: { code: room.code, role: 'member', memberCount: 3 } });
    expect((await as('frank').post(`/api/rooms/${room.code}/join`, await passwordJoin('open sesame', room.code, people.frank!.account)).expect(409)).body.message).toBe('This room is full (3 members)');
    expect((await as('frank').post('/api/rooms/ZZZZ/join', {}).expect(404)).body.message).toBe('No room with code ZZZZ, or it needs a password');
    expect((await as('frank').post('/api/rooms/O0I1/join', {}).expect(400)).body.message).toMatch(/4 characters/);
  });

  it.each([
    ['a v1 password', { password: 'open sesame' }, /property password should not exist/],
    ['a joinKey that is not 32 bytes of base64', { joinKey: 'b3BlbiBzZXNhbWU=', proof: 'A'.repeat(43) + '=' }, /joinKey must be 32 bytes of base64/],
    ['a joinKey without its proof', { joinKey: 'A'.repeat(43) + '=' }, /proof must come with joinKey/],
    ['a proof without a joinKey', { proof: 'A'.repeat(43) + '=' }, /proof goes with joinKey/],
    ['an invite and a joinKey', { joinKey: 'A'.repeat(43) + '=', proof: 'A'.repeat(43) + '=', invite: { id: 'A'.repeat(22), proof: 'A'.repeat(43) + '=' } }, /an invite or a joinKey, not both/],
    ['a malformed invite id', { invite: { id: 'short', proof: 'A'.repeat(43) + '=' } }, /invite.id must be an invite id/],
  ])('refuses a join request with %s (400 with a message)', async (_case, body, message) => {
    const room = await create('alice', { name: 'Shapes', history: 'shared' });
    const res = await as('bob').post(`/api/rooms/${room.code}/join`, body).expect(400);
    expect([res.body.message].flat().join('\n')).toMatch(message);
  });

  it('keeps the member limit under concurrent admissions', async () => {
    const room = await start('alice', { name: 'Tiny', maxMembers: 3, history: 'shared' });
    const joiners = ['bob', 'carol', 'dave', 'erin', 'frank', 'grace'];
    for (const result of await Promise.all(joiners.map((name) => askToJoin(as(name), room.code)))) expect(result.status).toBe('pending');
    const answers = await withSocket(server, people.alice!.account, async (socket) =>
      Promise.all(joiners.map(async (name) => ask<Ack<unknown>>(socket, CHAT_EVENTS.admissionGrant, { roomId: room.id, admission: await admissionFor(room.id, people.alice!.account, people[name]!.account) }))),
    );
    expect(answers.filter((a) => a.ok)).toHaveLength(2);
    expect(answers.filter((a) => !a.ok).map((a) => !a.ok && a.error.message)).toEqual(Array(4).fill('This room is full (3 members)'));
    const [{ n }] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE r.code = $1`, [room.code]);
    expect(n).toBe(3);
  });

  it('shows a room only to its members, and lists my rooms with unread counts', async () => {
    const room = await start('grace', { name: 'Grace and Heidi', history: 'shared' });
    expect((await as('heidi').get(`/api/rooms/${room.code}`).expect(404)).body.message).toBe(`No room with code ${room.code} among your rooms`);
    await joinAdmitted('heidi', room, 'grace');
    // Five messages of grace's stored (far past heidi's "joined" line), heidi has read two of them.
    await query(
      `INSERT INTO messages (room_id, seq, sender_id, epoch, client_msg_id, iv, ct, sig)
       SELECT id, s, $2, 1, gen_random_uuid(), 'iv', 'ct', 'sig' FROM rooms, generate_series(1001, 1005) AS s WHERE code = $1`,
      [room.code, idOf('grace')],
    );
    await query(`UPDATE rooms SET last_seq = 1005 WHERE code = $1`, [room.code]);
    await query(`UPDATE room_members SET last_read_seq = 1002 WHERE user_id = $1 AND room_id = (SELECT id FROM rooms WHERE code = $2)`, [idOf('heidi'), room.code]);
    const mine = (await as('heidi').get('/api/rooms').expect(200)).body as RoomSummary[];
    expect(mine.find((r) => r.code === room.code)).toMatchObject({ unread: 3, memberCount: 2, role: 'member' });
    // Grace's own messages are never unread for her, nor is heidi's "joined" line.
    expect((await as('grace').get('/api/rooms').expect(200)).body.find((r: RoomSummary) => r.code === room.code).unread).toBe(0);
  });

  it('lets the owner remove a member, who is cut off at once; the room then needs a new key epoch', async () => {
    const room = await start('alice', { name: 'Removal', history: 'joined' });
    await joinAdmitted('bob', room, 'alice');
    await joinAdmitted('carol', room, 'alice');
    expect((await as('bob').post(`/api/rooms/${room.code}/members/${idOf('carol')}/remove`).expect(403)).body.message).toBe('Only the room owner can remove members');
    await as('alice').post(`/api/rooms/${room.code}/members/${idOf('carol')}/remove`).expect(204);
    await as('carol').get(`/api/rooms/${room.code}`).expect(404);
    expect((await as('carol').get('/api/rooms').expect(200)).body.map((r: RoomSummary) => r.code)).not.toContain(room.code);
    expect((await as('alice').post(`/api/rooms/${room.code}/members/${idOf('carol')}/remove`).expect(404)).body.message).toBe('This person is not a member of this room');
    await as('alice').post(`/api/rooms/${room.code}/members/${idOf('alice')}/remove`).expect(400);
    await as('alice').post(`/api/rooms/${room.code}/members/not-a-uuid/remove`).expect(400);
    const [{ rotation_pending }] = await query<{ rotation_pending: boolean }>(`SELECT rotation_pending FROM rooms WHERE code = $1`, [room.code]);
    expect(rotation_pending).toBe(true);
  });

  it('hands the room to the longest-standing member when the owner leaves, and deletes it when the last one leaves', async () => {
    const room = await start('dave', { name: 'Hand-over', history: 'shared' });
    await joinAdmitted('erin', room, 'dave');
    await joinAdmitted('frank', room, 'dave');
    await as('dave').post(`/api/rooms/${room.code}/leave`).expect(204);
    expect((await as('erin').get(`/api/rooms/${room.code}`).expect(200)).body.role).toBe('owner');
    await as('dave').post(`/api/rooms/${room.code}/leave`).expect(404);
    await as('erin').post(`/api/rooms/${room.code}/leave`).expect(204);
    await as('frank').post(`/api/rooms/${room.code}/leave`).expect(204);
    await as('frank').get(`/api/rooms/${room.code}`).expect(404);
  });

  it.each([
    ['no name', { history: 'shared' }, /name is required/],
    ['an empty name', { name: '   ', history: 'shared' }, /name must not be empty/],
    ['a 65-character name', { name: 'x'.repeat(65), history: 'shared' }, /at most 64 characters/],
    ['an unknown history mode', { name: 'x', history: 'forever' }, /history must be "shared" or "joined"/],
    ['a member limit of 1', { name: 'x', history: 'shared', maxMembers: 1 }, /maxMembers must be a whole number from 2 to 1000/],
    ['a fractional member limit', { name: 'x', history: 'shared', maxMembers: 2.5 }, /maxMembers must be a whole number/],
    ['a v1 password (the server never sees room passwords)', { name: 'x', history: 'shared', password: 'open sesame' }, /property password should not exist/],
    ['a withPassword that is not true or false', { name: 'x', history: 'shared', withPassword: 'yes' }, /withPassword must be true or false/],
    ['an unknown field', { name: 'x', history: 'shared', public: true }, /property public should not exist/],
  ])('refuses to create a room with %s (400 with a message)', async (_case, body, message) => {
    const res = await as('alice').post('/api/rooms', body).expect(400);
    expect([res.body.message].flat().join('\n')).toMatch(message);
  });

  it('limits join attempts to 30 a minute per user, so a room password cannot be guessed at speed', async () => {
    // alice has created rooms but joined none yet, so her 30 attempts are all here.
    const room = await start('grace', { name: 'Vault', withPassword: true, history: 'joined' });
    await setRoomPassword(as('grace'), room, 'the real one', { epoch: 1, epochKey: await generateEpochKey() });
    // Wrong joinKeys (random bytes: what 30 wrong passwords derive to, without 30 slow derivations).
    const guess = () => ({ joinKey: randomBytes(32).toString('base64'), proof: randomBytes(32).toString('base64') });
    for (let i = 0; i < 30; i++) await as('alice').post(`/api/rooms/${room.code}/join`, guess()).expect(404);
    const limited = await as('alice').post(`/api/rooms/${room.code}/join`, await passwordJoin('the real one', room.code, people.alice!.account)).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body.message).toMatch(/^Too many look-ups of rooms you are not in: try again in (\d+ seconds?|1 minute)$/);
    // Another user is not affected.
    expect(await askToJoin(as('bob'), room.code, await passwordJoin('the real one', room.code, people.bob!.account))).toMatchObject({ status: 'pending', room: { via: 'password' } });
  });

  it('is for signed-in users only', async () => {
    const { default: request } = await import('supertest');
    await request(server.origin).get('/api/rooms').ca(server.certificate).expect(401);
    await request(server.origin).post('/api/rooms').ca(server.certificate).send({ name: 'x', history: 'shared' }).expect(401);
  });
});
