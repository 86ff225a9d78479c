import { AUTH_PATHS, CONTACT_BOOK_MAX_BYTES, type ContactBook, type SealedContactBook } from '@conclave/contracts';
import { keysDigest, openContactBook, sealContactBook } from '@conclave/crypto';
import request from 'supertest';
import { type Account, browserClient, type Client, FAST_AUTH_ENV, newAccount, registeredClient } from '../support/accounts.js';
import { sql } from '../support/db.js';
import { ServerProcess } from '../support/server.js';

let server: ServerProcess;
let ann: { account: Account; client: Client };
let ben: { account: Account; client: Client };

beforeAll(async () => {
  server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: '1000' } });
  for (const name of ['ann', 'ben'] as const) {
    const account = await newAccount(name);
    const person = { account, client: await registeredClient(server, account) };
    if (name === 'ann') ann = person;
    else ben = person;
  }
});

afterAll(async () => {
  await server?.stop();
});

describe('the sealed contact book (docs/protocol.md §5.3–5.4: verification follows the user)', () => {
  it('is empty at first, then keeps what the browser sealed, for that user only, unreadable to the server', async () => {
    await ann.client.get(AUTH_PATHS.contacts).expect(204);
    const book: ContactBook = { v: 1, contacts: { [ben.account.userId]: { keys: await keysDigest(ben.account.publicKeys), verified: true } } };
    const sealed = await sealContactBook(book, ann.account.keys.wrapKey, ann.account.userId);
    await ann.client.put(AUTH_PATHS.contacts, sealed).expect(204);

    // Another browser of ann's (a fresh sign-in) gets it back and opens it with her password's wrapKey.
    const elsewhere = browserClient(server);
    await elsewhere.post('/api/auth/login', { username: 'ann', authKey: ann.account.keys.authKey }).expect(200);
    const fetched = (await elsewhere.get(AUTH_PATHS.contacts).expect(200)).body as SealedContactBook;
    expect(await openContactBook(fetched, ann.account.keys.wrapKey, ann.account.userId)).toEqual(book);

    await ben.client.get(AUTH_PATHS.contacts).expect(204);
    const stored = JSON.stringify(await sql(server, `SELECT * FROM contact_books`));
    expect(stored).not.toContain(ben.account.userId);
    expect(stored).not.toContain('verified');
  });

  it('replaces the book on each save', async () => {
    const book: ContactBook = { v: 1, contacts: {} };
    await ann.client.put(AUTH_PATHS.contacts, await sealContactBook(book, ann.account.keys.wrapKey, ann.account.userId)).expect(204);
    const fetched = (await ann.client.get(AUTH_PATHS.contacts).expect(200)).body as SealedContactBook;
    expect(await openContactBook(fetched, ann.account.keys.wrapKey, ann.account.userId)).toEqual(book);
    expect(await sql(server, `SELECT count(*)::int AS n FROM contact_books`)).toEqual([{ n: 1 }]);
  });

  it('refuses anything but a sealed book, with a 400 that says why', async () => {
    const good = await sealContactBook({ v: 1, contacts: {} }, ann.account.keys.wrapKey, ann.account.userId);
    const bad: Record<string, unknown> = {
      empty: {},
      'version 2': { ...good, v: 2 },
      'short iv': { ...good, iv: 'short' },
      'ct not base64': { ...good, ct: 'not base64!' },
      'ct one byte too long': { ...good, ct: Buffer.alloc(CONTACT_BOOK_MAX_BYTES + 1).toString('base64') },
      'an extra field': { ...good, extra: true },
      'an array': [good],
      'a string': 'text',
    };
    const refusals: Record<string, boolean> = {};
    for (const [label, body] of Object.entries(bad)) {
      const res = await ann.client.put(AUTH_PATHS.contacts, body as object);
      refusals[label] = res.status === 400 && typeof res.body.message !== 'undefined';
    }
    expect(refusals).toEqual(Object.fromEntries(Object.keys(bad).map((label) => [label, true])));
    // The largest book that fits is taken.
    await ann.client.put(AUTH_PATHS.contacts, { ...good, ct: Buffer.alloc(CONTACT_BOOK_MAX_BYTES).toString('base64') }).expect(204);
    await ann.client.put(AUTH_PATHS.contacts, good).expect(204);
    const [restored] = await sql<{ iv: string; ct: string }>(server, `SELECT iv, ct FROM contact_books`);
    expect(restored).toEqual({ iv: good.iv, ct: good.ct });
  });

  it('changes nothing when refused', async () => {
    const before = await sql(server, `SELECT iv, ct FROM contact_books`);
    await ann.client.put(AUTH_PATHS.contacts, { v: 1, iv: 'short', ct: 'AAAA' }).expect(400);
    expect(await sql(server, `SELECT iv, ct FROM contact_books`)).toEqual(before);
  });

  it('is for signed-in users only', async () => {
    await request(server.origin).get(AUTH_PATHS.contacts).ca(server.certificate).expect(401);
    await request(server.origin).put(AUTH_PATHS.contacts).ca(server.certificate).set('Origin', server.origin).send({}).expect(401);
  });
});
