import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { ExternalPostgres } from '../../../../test/support/postgres.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { DELETE_MESSAGE, LOCK_ROOM, STORE_BATCH } from './message-rows.js';

/**
 * STORE_BATCH's lock order on a real PostgreSQL (the migrated schema): every room it names, by id,
 * then the files, by id. Two instances storing batches that name the same rooms (or files) in
 * different orders then wait for each other in turn instead of deadlocking. Shown by holding the
 * lower id from another connection: the batch waits for it before it has locked anything higher.
 */

let postgres: ExternalPostgres;
let url: string;
const clients: pg.Client[] = [];

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  clients.push(client);
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Until the backend `pid` waits for a row lock another transaction holds. */
async function waitingForLock(observer: pg.Client, pid: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { rows } = await observer.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]);
    if (rows[0]?.wait_event_type === 'Lock') return;
    if (Date.now() > deadline) throw new Error(`backend ${pid} never waited for a lock`);
    await sleep(20);
  }
}

/** Whether `id` of `table` can be locked at once (NOWAIT) from a connection of its own. */
async function lockableNow(table: 'rooms' | 'files', id: string): Promise<boolean> {
  const client = await connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE NOWAIT`, [id]);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') return false; // lock_not_available
    throw err;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

interface Envelope {
  roomId: string;
  fileId?: string;
  editOf?: number;
}

/** STORE_BATCH for `senderId`'s envelopes (epoch 1), as MessagesService sends it. */
function storeBatch(client: pg.Client, senderId: string, envelopes: Envelope[]) {
  const column = (value: (e: Envelope) => unknown) => envelopes.map(value);
  return client.query<{ duplicate: boolean; room_id: string; seq: string; file_id: string | null }>(STORE_BATCH, [
    column((e) => e.roomId),
    column(() => senderId),
    column(() => randomUUID()),
    column(() => 1),
    column(() => 'aXY='),
    column(() => 'Y3Q='),
    column(() => 'c2ln'),
    column((e) => e.fileId ?? null),
    column((e) => e.editOf ?? null),
  ]);
}

/** A user with a key for epoch 1 in `rooms` new rooms, returned in id order (lowest first). */
async function sender(db: pg.Client, rooms: number): Promise<{ userId: string; roomIds: string[] }> {
  const userId = randomUUID();
  await db.query(
    `INSERT INTO users (id, username, auth_hash, enc_public_key, sig_public_key, key_backup) VALUES ($1, $2, 'h', 'e', 's', '{}')`,
    [userId, `u${userId.slice(0, 8)}`],
  );
  const roomIds = Array.from({ length: rooms }, () => randomUUID()).sort();
  for (const id of roomIds) {
    await db.query(`INSERT INTO rooms (id, code, name, owner_id, max_members, history) VALUES ($1, $2, 'Room', $3, 10, 'shared')`, [id, randomUUID().slice(0, 4).toUpperCase(), userId]);
    await db.query(`INSERT INTO key_boxes (room_id, epoch, recipient_id, sharer_id, wrapped, sig) VALUES ($1, 1, $2, $2, 'w', 's')`, [id, userId]);
  }
  return { userId, roomIds };
}

/** Stored uploads of `userId` in `roomId`, returned in id order (inserted in the reverse order, so a scan meets the highest first). */
async function uploads(db: pg.Client, userId: string, roomId: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID()).sort();
  for (const id of [...ids].reverse()) await db.query(`INSERT INTO files (id, room_id, uploader_id, mime, bytes, state) VALUES ($1, $2, $3, 'image/png', 10, 'stored')`, [id, roomId, userId]);
  return ids;
}

beforeAll(async () => {
  postgres = await ExternalPostgres.start();
  url = await postgres.createDatabase('batches');
  // The schema as a server's start leaves it (every migration).
  await (await new DataSource(dataSourceOptions(url)).initialize()).destroy();
}, 120_000);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
});

afterAll(async () => {
  await postgres?.stop();
});

describe('STORE_BATCH', () => {
  it('locks the rooms it names in id order: while it waits for the lowest, a higher one named first is still free', async () => {
    const setup = await connect();
    const { userId, roomIds } = await sender(setup, 3);
    const [lowest, middle, highest] = roomIds as [string, string, string];

    const holder = await connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE`, [lowest]);

    const writer = await connect();
    const { rows: [{ pid }] } = await writer.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
    const batch = storeBatch(writer, userId, [{ roomId: highest }, { roomId: middle }, { roomId: lowest }, { roomId: highest }]);
    await waitingForLock(setup, pid);

    expect(await lockableNow('rooms', highest)).toBe(true);
    expect(await lockableNow('rooms', middle)).toBe(true);

    await holder.query('COMMIT');
    const stored = (await batch).rows.map((r) => [r.room_id, Number(r.seq), r.duplicate]).sort();
    expect(stored).toEqual(
      [
        [highest, 1, false],
        [highest, 2, false],
        [middle, 1, false],
        [lowest, 1, false],
      ].sort(),
    );
  });

  it('locks the files it attaches in id order, after the rooms: while it waits for the lowest, a higher one named first is still free', async () => {
    const setup = await connect();
    const { userId, roomIds } = await sender(setup, 1);
    const [roomId] = roomIds as [string];
    const [lowest, highest] = (await uploads(setup, userId, roomId, 2)) as [string, string];

    const holder = await connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM files WHERE id = $1 FOR UPDATE`, [lowest]);

    const writer = await connect();
    const { rows: [{ pid }] } = await writer.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
    const batch = storeBatch(writer, userId, [
      { roomId, fileId: highest },
      { roomId, fileId: lowest },
    ]);
    await waitingForLock(setup, pid);

    expect(await lockableNow('files', highest)).toBe(true);
    // The room was locked first, and is held while the batch waits.
    expect(await lockableNow('rooms', roomId)).toBe(false);

    await holder.query('COMMIT');
    const attached = (await batch).rows.map((r) => r.file_id).sort();
    expect(attached).toEqual([lowest, highest].sort());
  });

  it('locks the rooms of envelopes it refuses too, so the lock order does not depend on what is accepted', async () => {
    const setup = await connect();
    const { userId, roomIds } = await sender(setup, 2);
    const [lowest, highest] = roomIds as [string, string];
    // No key for the lower room's current epoch: its envelope is refused.
    await setup.query(`UPDATE rooms SET current_epoch = 2 WHERE id = $1`, [lowest]);

    const holder = await connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE`, [lowest]);

    const writer = await connect();
    const { rows: [{ pid }] } = await writer.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
    const batch = storeBatch(writer, userId, [{ roomId: highest }, { roomId: lowest }]);
    await waitingForLock(setup, pid);
    expect(await lockableNow('rooms', highest)).toBe(true);

    await holder.query('COMMIT');
    expect((await batch).rows.map((r) => r.room_id)).toEqual([highest]);
  });

  it('refuses an edit whose original a deletion wiped while the batch waited: no edit outlives its original (docs/protocol.md §9c)', async () => {
    const setup = await connect();
    const { userId, roomIds } = await sender(setup, 1);
    const [roomId] = roomIds as [string];
    const [original] = (await storeBatch(setup, userId, [{ roomId }])).rows;
    const seq = Number(original!.seq);

    // A deletion as MessagesService.delete runs it, not yet committed.
    const deleter = await connect();
    await deleter.query('BEGIN');
    await deleter.query(LOCK_ROOM, [roomId]);
    expect((await deleter.query(DELETE_MESSAGE, [roomId, userId, seq])).rows).toHaveLength(1);

    const writer = await connect();
    const { rows: [{ pid }] } = await writer.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
    const batch = storeBatch(writer, userId, [{ roomId, editOf: seq }, { roomId }]);
    await waitingForLock(setup, pid);
    await deleter.query('COMMIT');

    // The plain message is stored after the deletion entry; the edit is refused, nothing of it kept.
    expect((await batch).rows.map((r) => Number(r.seq))).toEqual([seq + 2]);
    const { rows } = await setup.query(`SELECT seq, kind, edit_of, ct IS NULL AS wiped FROM messages WHERE room_id = $1 ORDER BY seq`, [roomId]);
    expect(rows).toEqual([
      { seq: String(seq), kind: 'message', edit_of: null, wiped: true },
      { seq: String(seq + 1), kind: 'deletion', edit_of: null, wiped: true },
      { seq: String(seq + 2), kind: 'message', edit_of: null, wiped: false },
    ]);
  });
});
