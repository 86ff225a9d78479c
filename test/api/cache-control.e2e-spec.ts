import { randomUUID } from 'node:crypto';
import { AUTH_PATHS, type ContactBook, FILE_BODY_TYPE, FILE_PATHS, ROOM_PATHS, type RoomSummary } from '@conclave/contracts';
import { sealContactBook } from '@conclave/crypto';
import type request from 'supertest';
import { type Account, browserClient, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { ServerProcess } from '../support/server.js';

let server: ServerProcess;
let ann: Account;
let ben: Account;
let annClient: Client;
let benClient: Client;

beforeAll(async () => {
  [server, ann, ben] = await Promise.all([ServerProcess.start({ env: FAST_AUTH_ENV }), newAccount('ann'), newAccount('ben')]);
  annClient = await registeredClient(server, ann);
  benClient = await registeredClient(server, ben);
});

afterAll(async () => {
  await server?.stop();
});

/** The response, once it is known to say that nobody may store it. */
async function notStored(test: request.Test, status: number): Promise<request.Response> {
  const res = await test.expect(status);
  const { method, path } = (res as unknown as { req: { method: string; path: string } }).req;
  expect({ route: `${method} ${path}`, cacheControl: res.headers['cache-control'] }).toEqual({ route: `${method} ${path}`, cacheControl: 'no-store' });
  return res;
}

describe('API answers that carry user data are never stored by a cache', () => {
  it('sign-in (with the sealed key backup), key backup, contacts, session', async () => {
    const browser = browserClient(server);
    const login = await notStored(browser.post(AUTH_PATHS.login, { username: 'ann', authKey: ann.keys.authKey }), 200);
    expect(login.body.keyBackup).toBeDefined();
    await notStored(browser.post(AUTH_PATHS.keyBackup, { authKey: ann.keys.authKey }), 200);
    const book: ContactBook = { v: 1, contacts: {} };
    await notStored(browser.put(AUTH_PATHS.contacts, await sealContactBook(book, ann.keys.wrapKey, ann.userId)), 204);
    await notStored(browser.get(AUTH_PATHS.contacts), 200);
    await notStored(browser.get(AUTH_PATHS.me), 200);
    await notStored(browser.get(AUTH_PATHS.session), 200);
  });

  it('rooms and their members, the key directory', async () => {
    const room = (await notStored(annClient.post(ROOM_PATHS.rooms, { name: 'Cache test', history: 'shared' }), 201)).body as RoomSummary;
    await notStored(benClient.post(ROOM_PATHS.join(room.code), {}), 200);
    await notStored(benClient.get(ROOM_PATHS.pending), 200);
    await notStored(annClient.get(ROOM_PATHS.invites(room.code)), 200);
    await notStored(annClient.get(ROOM_PATHS.rooms), 200);
    await notStored(annClient.get(ROOM_PATHS.room(room.code)), 200);
    await notStored(annClient.get(AUTH_PATHS.userKeys(ben.userId)), 200);
  });

  it('files: an upload, the totals, a link refused (downloads say private, no-store: files suite)', async () => {
    const room = (await annClient.post(ROOM_PATHS.rooms, { name: 'Cached files', history: 'shared' }).expect(201)).body as RoomSummary;
    await notStored(annClient.put(`${FILE_PATHS.upload(room.code, randomUUID())}?type=image/png`).set('Content-Type', FILE_BODY_TYPE).send(Buffer.alloc(32)), 201);
    await notStored(annClient.get(FILE_PATHS.roomUsage(room.code)), 200);
    await notStored(annClient.get(FILE_PATHS.usage), 200);
    await notStored(annClient.post(FILE_PATHS.link(room.code, randomUUID())), 404);
  });

  it('refusals too', async () => {
    await notStored(browserClient(server).get(AUTH_PATHS.me), 401);
    await notStored(browserClient(server).post(AUTH_PATHS.login, { username: 'ann', authKey: ben.keys.authKey }), 401);
  });
});
