import { ROOM_CODE_PATTERN, ROOM_PASSWORD_MAX_BYTES, type RoomSummary } from '@conclave/contracts';
import { type Account, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { ServerProcess } from '../support/server.js';

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

  it('admits by code and password, with clear refusals for a wrong password, an unknown code, or a full room', async () => {
    const room = await create('carol', { name: 'Secret', password: 'open sesame', maxMembers: 3, history: 'joined' });
    expect(room.hasPassword).toBe(true);
    // A password room answers as an unknown code does (room-oracle.e2e-spec.ts compares the two).
    expect((await as('dave').post(`/api/rooms/${room.code}/join`, {}).expect(404)).body.message).toBe(`No room with code ${room.code}, or it needs a password`);
    expect((await as('dave').post(`/api/rooms/${room.code}/join`, { password: 'open says me' }).expect(404)).body.message).toBe(
      `No room with code ${room.code}, or the password is wrong`,
    );
    const joined = (await as('dave').post(`/api/rooms/${room.code.toLowerCase()}/join`, { password: 'open sesame' }).expect(200)).body;
    expect(joined).toMatchObject({ code: room.code, role: 'member', memberCount: 2 });
    // Joining again is harmless.
    await as('dave').post(`/api/rooms/${room.code}/join`, { password: 'open sesame' }).expect(200);
    await as('erin').post(`/api/rooms/${room.code}/join`, { password: 'open sesame' }).expect(200);
    expect((await as('frank').post(`/api/rooms/${room.code}/join`, { password: 'open sesame' }).expect(409)).body.message).toBe('This room is full (3 members)');
    expect((await as('frank').post('/api/rooms/ZZZZ/join', {}).expect(404)).body.message).toBe('No room with code ZZZZ, or it needs a password');
    expect((await as('frank').post('/api/rooms/O0I1/join', {}).expect(400)).body.message).toMatch(/4 characters/);
  });

  it('bounds a room password by its UTF-8 bytes, as bcrypt reads them: passwords that differ past byte 72 never open the same room', async () => {
    const tooLong = [400, [`password must be at most ${ROOM_PASSWORD_MAX_BYTES} bytes in UTF-8 (${ROOM_PASSWORD_MAX_BYTES} plain letters, fewer accented ones)`]];
    // 40 characters, 76 bytes: bcrypt would read only the 36 'é', the same for both.
    const refused = await as('alice').post('/api/rooms', { name: 'Accents', password: `${'é'.repeat(36)}AAAA`, history: 'shared' });
    expect([refused.status, refused.body.message]).toEqual(tooLong);
    const room = await create('alice', { name: 'Accents', password: `${'é'.repeat(34)}AAAA`, history: 'shared' }); // 72 bytes
    const join = (password: string) => as('bob').post(`/api/rooms/${room.code}/join`, { password });
    const longer = await join(`${'é'.repeat(36)}ZZZZ`);
    expect([longer.status, longer.body.message]).toEqual(tooLong);
    await join(`${'é'.repeat(34)}AAAB`).expect(404); // a wrong password answers as an unknown code does
    await join(`${'é'.repeat(34)}AAAA`).expect(200);
  });

  it('keeps the member limit under concurrent joins', async () => {
    const room = await create('alice', { name: 'Tiny', maxMembers: 3, history: 'shared' });
    const joiners = ['bob', 'carol', 'dave', 'erin', 'frank', 'grace'];
    const results = await Promise.all(joiners.map((name) => as(name).post(`/api/rooms/${room.code}/join`, {})));
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(results.filter((r) => r.status === 409)).toHaveLength(4);
    const [{ n }] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE r.code = $1`, [room.code]);
    expect(n).toBe(3);
  });

  it('shows a room only to its members, and lists my rooms with unread counts', async () => {
    const room = await create('grace', { name: 'Grace and Heidi', history: 'shared' });
    expect((await as('heidi').get(`/api/rooms/${room.code}`).expect(404)).body.message).toBe(`No room with code ${room.code} among your rooms`);
    await as('heidi').post(`/api/rooms/${room.code}/join`, {}).expect(200);
    // Five messages stored (the gateway's counter), heidi has read two of them.
    await query(`UPDATE rooms SET last_seq = 5 WHERE code = $1`, [room.code]);
    await query(`UPDATE room_members SET last_read_seq = 2 WHERE user_id = $1 AND room_id = (SELECT id FROM rooms WHERE code = $2)`, [idOf('heidi'), room.code]);
    const mine = (await as('heidi').get('/api/rooms').expect(200)).body as RoomSummary[];
    expect(mine.find((r) => r.code === room.code)).toMatchObject({ unread: 3, memberCount: 2, role: 'member' });
    expect((await as('grace').get('/api/rooms').expect(200)).body.find((r: RoomSummary) => r.code === room.code).unread).toBe(5);
  });

  it('lets the owner remove a member, who is cut off at once; the room then needs a new key epoch', async () => {
    const room = await create('alice', { name: 'Removal', history: 'joined' });
    await as('bob').post(`/api/rooms/${room.code}/join`, {}).expect(200);
    await as('carol').post(`/api/rooms/${room.code}/join`, {}).expect(200);
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
    const room = await create('dave', { name: 'Hand-over', history: 'shared' });
    await as('erin').post(`/api/rooms/${room.code}/join`, {}).expect(200);
    await as('frank').post(`/api/rooms/${room.code}/join`, {}).expect(200);
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
    ['a 3-character password', { name: 'x', history: 'shared', password: 'abc' }, /at least 4 characters/],
    ['an unknown field', { name: 'x', history: 'shared', public: true }, /property public should not exist/],
  ])('refuses to create a room with %s (400 with a message)', async (_case, body, message) => {
    const res = await as('alice').post('/api/rooms', body).expect(400);
    expect([res.body.message].flat().join('\n')).toMatch(message);
  });

  it('limits join attempts to 30 a minute per user, so a room password cannot be guessed at speed', async () => {
    // alice has created rooms but joined none yet, so her 30 attempts are all here.
    const room = await create('grace', { name: 'Vault', password: 'the real one', history: 'joined' });
    for (let i = 0; i < 30; i++) await as('alice').post(`/api/rooms/${room.code}/join`, { password: `guess ${i}` }).expect(404);
    const limited = await as('alice').post(`/api/rooms/${room.code}/join`, { password: 'the real one' }).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body.message).toMatch(/^Too many look-ups of rooms you are not in: try again in (\d+ seconds?|1 minute)$/);
    // Another user is not affected.
    await as('bob').post(`/api/rooms/${room.code}/join`, { password: 'the real one' }).expect(200);
  });

  it('is for signed-in users only', async () => {
    const { default: request } = await import('supertest');
    await request(server.origin).get('/api/rooms').ca(server.certificate).expect(401);
    await request(server.origin).post('/api/rooms').ca(server.certificate).send({ name: 'x', history: 'shared' }).expect(401);
  });
});
