import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AUTH_PATHS, type EnterRoomResult, type KeyMaterial, type RoomSummary, type StoredMessage } from '@conclave/contracts';
import { encryptMessage, generateEpochKey, sealContactBook, textContent } from '@conclave/crypto';
import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { type Account, browserClient, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { askToJoin, createRoom, grantAdmission, passwordJoin, setRoomPassword } from '../support/membership.js';
import { ExternalPostgres } from '../support/postgres.js';
import { processesMentioning, runScript } from '../support/processes.js';
import { newDataDir, ServerProcess } from '../support/server.js';
import { ask, CHAT_EVENTS, connect, connected, makeFirstEpoch, resultOf, sessionCookie } from '../support/sockets.js';

const ENV = { ...FAST_AUTH_ENV, CHAT_RATE_LIMIT: 'burst', REGISTER_LIMIT_PER_HOUR: '1000' };
/** Tests that run several backups and restores, each a process that may start a PostgreSQL. */
const SLOW = 180_000;

async function signIn(server: ServerProcess, account: Account): Promise<Client> {
  const client = browserClient(server);
  await client.post('/api/auth/login', { username: account.username, authKey: account.keys.authKey }).expect(200);
  return client;
}

async function signedInSocket(server: ServerProcess, account: Account): Promise<Socket> {
  const socket = connect(server, await sessionCookie(server, account));
  await connected(socket);
  return socket;
}

/** What a member reads of a room: the room as entered, its messages (oldest first), their key boxes with the epochs' announcements. */
async function readRoom(server: ServerProcess, account: Account, room: RoomSummary): Promise<{ entered: EnterRoomResult; messages: StoredMessage[]; keys: KeyMaterial }> {
  const socket = await signedInSocket(server, account);
  try {
    const entered = resultOf(await ask(socket, CHAT_EVENTS.enter, { code: room.code }));
    const page = resultOf(await ask(socket, CHAT_EVENTS.history, { roomId: room.id }));
    const keys = resultOf(await ask(socket, CHAT_EVENTS.keyBoxes, { roomId: room.id }));
    return { entered, messages: page.messages.reverse(), keys };
  } finally {
    socket.disconnect();
  }
}

/** A backup's text without its header line (which says when and from which PostgreSQL it was made). */
const body = (file: string) => gunzipSync(readFileSync(file)).toString('utf8').split('\n').slice(1).join('\n');

async function query<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

const tableCount = async (url: string) =>
  (await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'`))[0]!.n;

describe('npm run backup / npm run restore', () => {
  let source: ServerProcess;
  let external: ExternalPostgres;
  let ann: Account;
  let ben: Account;
  let room: RoomSummary;
  let epochKey: CryptoKey;
  let contactBook: object;
  let backupFile: string;

  beforeAll(async () => {
    [source, external] = await Promise.all([ServerProcess.start({ env: ENV }), ExternalPostgres.start()]);
    [ann, ben] = await Promise.all([newAccount('ann'), newAccount('ben')]);
    const [annRest, benRest] = [await registeredClient(source, ann), await registeredClient(source, ben)];
    const [annSocket, benSocket] = [await signedInSocket(source, ann), await signedInSocket(source, ben)];
    room = await createRoom(source, { account: ann, rest: annRest, socket: annSocket }, { name: 'Kept', history: 'shared', withPassword: true });
    // Sealed under a key no member holds: this suite checks what a backup keeps, not how a member's browser admits.
    await setRoomPassword(annRest, room, 'room secret', { epoch: 1, epochKey: await generateEpochKey() });
    await benRest.post('/api/rooms', { name: 'Quiet', history: 'joined', maxMembers: 5 }).expect(201);
    await askToJoin(benRest, room.code, await passwordJoin('room secret', room.code, ben));
    await grantAdmission(annSocket, room.id, ann, ben, 'password');
    contactBook = await sealContactBook({ v: 1, contacts: {} }, ann.keys.wrapKey, ann.userId);
    await annRest.put(AUTH_PATHS.contacts, contactBook).expect(204);

    for (const socket of [annSocket, benSocket]) resultOf(await ask(socket, CHAT_EVENTS.enter, { code: room.code }));
    epochKey = await makeFirstEpoch(annSocket, room.id, ann, [ann, ben]);
    const lines: Array<[Socket, Account, string]> = [[annSocket, ann, 'one'], [benSocket, ben, 'two'], [annSocket, ann, 'three **bold**'], [benSocket, ben, 'four 👋']];
    for (const [socket, from, text] of lines) {
      const envelope = await encryptMessage({ roomId: room.id, senderId: from.userId, epoch: 1, epochKey, senderSig: from.identity.sig.privateKey, content: textContent(text) });
      resultOf(await ask(socket, CHAT_EVENTS.send, envelope));
    }
    resultOf(await ask(benSocket, CHAT_EVENTS.read, { roomId: room.id, seq: 2 }));
    annSocket.disconnect();
    benSocket.disconnect();
  }, SLOW);

  afterAll(async () => {
    await source?.stop();
    await external?.stop();
  });

  it('backs up a running server, restores into a fresh DATA_DIR, and a server there has the same accounts, rooms and ciphertexts', async () => {
    const before = await readRoom(source, ben, room);
    expect(before.messages).toHaveLength(4);
    expect(before.keys).toMatchObject({ boxes: [{ epoch: 1 }], epochs: [{ epoch: 1, makerId: ann.userId }] });
    const benRoomsBefore = (await (await signIn(source, ben)).get('/api/rooms').expect(200)).body as RoomSummary[];
    backupFile = join(newDataDir(), 'conclave.backup.gz');
    const backup = await runScript('backup', [backupFile], { DATA_DIR: source.dataDir });
    expect(backup).toMatchObject({ code: 0, output: expect.stringContaining(`(server pid ${source.child.pid} running: online backup)`) });
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);

    const dataDir = newDataDir();
    expect(await runScript('restore', [backupFile], { DATA_DIR: dataDir })).toMatchObject({ code: 0, output: expect.stringMatching(/restored \d+ rows in \d+ tables/) });
    const restored = await ServerProcess.start({ dataDir, env: ENV });
    try {
      // Signing in reads the user, writes a session and the audit log (whose identity sequence must follow the restored rows).
      const after = await readRoom(restored, ben, room);
      expect(after).toEqual(before);
      expect((await (await signIn(restored, ben)).get('/api/rooms').expect(200)).body).toEqual(benRoomsBefore);
      expect((await (await signIn(restored, ann)).get(AUTH_PATHS.contacts).expect(200)).body).toEqual(contactBook);
      // The room's password hash came along, and so did its message counter: the next message follows the restored ones.
      const catAccount = await newAccount('cat');
      const cat = await registeredClient(restored, catAccount);
      await cat.post(`/api/rooms/${room.code}/join`, await passwordJoin('wrong', room.code, catAccount)).expect(404); // answered as an unknown code
      expect(await askToJoin(cat, room.code, await passwordJoin('room secret', room.code, catAccount))).toMatchObject({ status: 'pending', room: { via: 'password' } });
      const socket = await signedInSocket(restored, ann);
      resultOf(await ask(socket, CHAT_EVENTS.enter, { code: room.code }));
      const envelope = await encryptMessage({ roomId: room.id, senderId: ann.userId, epoch: 1, epochKey, senderSig: ann.identity.sig.privateKey, content: textContent('five') });
      // Four messages and ben's "joined" line (docs/protocol.md §9a) before it.
      expect(resultOf(await ask(socket, CHAT_EVENTS.send, envelope)).seq).toBe(6);
      socket.disconnect();
    } finally {
      await restored.stop();
    }
  }, SLOW);

  it('restores into an empty DATABASE_URL database and backs it up from there: every row and sequence as in the first backup', async () => {
    const url = await external.createDatabase('restored');
    expect(await runScript('restore', [backupFile], { DATABASE_URL: url })).toMatchObject({ code: 0 });
    const again = join(newDataDir(), 'again.backup.gz');
    expect(await runScript('backup', [again], { DATABASE_URL: url })).toMatchObject({ code: 0 });
    expect(body(again)).toEqual(body(backupFile));
    expect(body(again)).toContain(room.id);
  }, SLOW);

  it('refuses a target that is not empty unless told to replace it, and a DATA_DIR a running server holds', async () => {
    const url = await external.createDatabase('target');
    expect(await runScript('restore', [backupFile], { DATABASE_URL: url })).toMatchObject({ code: 0 });
    expect(await runScript('restore', [backupFile], { DATABASE_URL: url })).toMatchObject({ code: 1, output: expect.stringMatching(/is not empty \(.*audit_log.*\): .* --replace/) });
    // What --replace must also clear: a table whose identity sequence sorts before it, a type, a function, a view.
    await query(url, `CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE zz_extra (id int GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME aa_extra_seq), m mood);
                      CREATE FUNCTION extra() RETURNS int LANGUAGE sql AS 'SELECT 1'; CREATE VIEW extra_view AS SELECT 1 AS one`);
    expect(await runScript('restore', [backupFile, '--replace'], { DATABASE_URL: url })).toMatchObject({ code: 0 });
    expect(await query(url, `SELECT to_regtype('mood') AS t, to_regclass('zz_extra') AS z, to_regclass('extra_view') AS v, to_regprocedure('extra()') AS f`)).toEqual([
      { t: null, z: null, v: null, f: null },
    ]);
    const check = join(newDataDir(), 'check.backup.gz');
    expect(await runScript('backup', [check], { DATABASE_URL: url })).toMatchObject({ code: 0 });
    expect(body(check)).toEqual(body(backupFile));

    expect(await runScript('restore', [backupFile], { DATA_DIR: source.dataDir })).toMatchObject({
      code: 1,
      output: expect.stringContaining(`is in use by a running Conclave (pid ${source.child.pid}): stop it before restoring`),
    });
  }, SLOW);

  it('restores nothing from a damaged, cut or newer backup, and says why', async () => {
    const dir = newDataDir();
    const text = gunzipSync(readFileSync(backupFile)).toString('utf8');
    const [header, ...rest] = text.split('\n');
    const broken = {
      'half a gzip file': readFileSync(backupFile).subarray(0, readFileSync(backupFile).length / 2),
      'no trailer': gzipSync(text.slice(0, text.lastIndexOf('{"end":true'))),
      'a migration this Conclave lacks': gzipSync([JSON.stringify({ ...JSON.parse(header!), migrations: [...JSON.parse(header!).migrations, 'FromTheFuture1999999999999'] }), ...rest].join('\n')),
      'a row count that does not match': gzipSync(text.replace(/"messages":5/, '"messages":6')),
    };
    const empty = await external.createDatabase('empty');
    const messages: string[] = [];
    for (const [name, content] of Object.entries(broken)) {
      const file = join(dir, `${name.replaceAll(' ', '-')}.gz`);
      writeFileSync(file, content);
      const run = await runScript('restore', [file], { DATABASE_URL: empty });
      expect({ name, code: run.code }).toEqual({ name, code: 1 });
      messages.push(run.output.split('\n').find((line) => line.startsWith('conclave restore:') && !line.includes('running on'))!);
      expect(await tableCount(empty)).toBe(0);
    }
    expect(messages).toEqual([
      expect.stringMatching(/is damaged or not a Conclave backup .*nothing was restored/),
      expect.stringContaining('the backup has no trailer after its last table: the file is incomplete'),
      expect.stringContaining('the backup comes from a newer Conclave (this one lacks migration FromTheFuture1999999999999)'),
      expect.stringContaining('table messages: the backup says 6 rows, 5 were read'),
    ]);
  }, SLOW);

  it('backs up a stopped server’s DATA_DIR by starting its PostgreSQL, and stops it again for the server', async () => {
    await source.stop();
    const offline = join(newDataDir(), 'offline.backup.gz');
    const run = await runScript('backup', [offline], { DATA_DIR: source.dataDir });
    expect(run).toMatchObject({ code: 0, output: expect.not.stringContaining('online') });
    expect(body(offline)).toContain(room.id);
    expect(processesMentioning(source.dataDir)).toEqual([]);
    source = await ServerProcess.start({ dataDir: source.dataDir, env: ENV });
    expect((await readRoom(source, ann, room)).messages).toHaveLength(4);
  }, SLOW);
});
