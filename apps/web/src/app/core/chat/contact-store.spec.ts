import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { ContactBook, SealedContactBook } from '@conclave/contracts';
import { ApiClient } from '../api-client.service';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';
import { ContactStore } from './contact-store.service';

/** Stand-in keys: sealing records which key was used, so the test can tell old from new. */
const OLD = { name: 'old' } as unknown as CryptoKey;
const NEW = { name: 'new' } as unknown as CryptoKey;
const keyName = (key: CryptoKey) => (key as unknown as { name: string }).name;

describe('ContactStore during a password change', () => {
  const wrapKey = signal<CryptoKey>(OLD);
  let saved: Array<{ key: string; book: ContactBook }>;
  let store: ContactStore;
  /** Writes in flight at once, and the most seen: the store must never overlap two. */
  const writes = { now: 0, most: 0 };
  const writing = async (work: () => void) => {
    writes.most = Math.max(writes.most, ++writes.now);
    await new Promise((r) => setTimeout(r, 5));
    work();
    writes.now--;
  };

  beforeEach(() => {
    saved = [];
    Object.assign(writes, { now: 0, most: 0 });
    wrapKey.set(OLD);
    TestBed.configureTestingModule({
      providers: [
        { provide: SessionService, useValue: { wrapKey } },
        {
          provide: CryptoService,
          useValue: {
            sealContactBook: async (book: ContactBook, key: CryptoKey): Promise<SealedContactBook> => ({ v: 1, iv: keyName(key), ct: JSON.stringify(book) }),
          },
        },
        {
          provide: ApiClient,
          useValue: {
            contactBook: async () => undefined,
            saveContactBook: (sealed: SealedContactBook) => writing(() => saved.push({ key: sealed.iv, book: JSON.parse(sealed.ct) })),
          },
        },
      ],
    });
    store = TestBed.inject(ContactStore);
  });

  it('writes nothing under the old key once the change has started, and saves a mark made meanwhile under the new one', async () => {
    await store.put('me', 'bob', { keys: 'digest-bob', verified: true });
    let commit!: () => void;
    const stored: SealedContactBook[] = [];
    const change = store.resealWith('me', NEW, async (sealed) => {
      stored.push(sealed);
      await new Promise<void>((resolve) => (commit = resolve));
      wrapKey.set(NEW); // what the session does once the server took the new password
    });
    await Promise.resolve();
    const mark = store.put('me', 'cat', { keys: 'digest-cat', verified: true });
    await new Promise((r) => setTimeout(r, 10));
    expect(saved.map((s) => s.key)).toEqual(['old']); // only bob's mark, from before the change
    commit();
    await Promise.all([change, mark]);

    expect(stored.map((s) => s.iv)).toEqual(['new']);
    expect(Object.keys(JSON.parse(stored[0]!.ct).contacts)).toContain('bob');
    expect(saved.slice(1).map((s) => s.key)).toEqual(['new']);
    expect(Object.keys(saved.at(-1)!.book.contacts).sort()).toEqual(['bob', 'cat']);
  });

  it('lets writes go on after a change that failed', async () => {
    await expect(store.resealWith('me', NEW, async () => Promise.reject(new Error('The current password is wrong')))).rejects.toThrow('The current password is wrong');
    await store.put('me', 'bob', { keys: 'digest-bob', verified: true });
    expect(saved.map((s) => s.key)).toEqual(['old']);
  });

  it('runs one write at a time when marks and a change all wait for the same write', async () => {
    const first = store.put('me', 'bob', { keys: 'digest-bob', verified: true });
    await Promise.resolve();
    await Promise.all([
      first,
      store.put('me', 'cat', { keys: 'digest-cat', verified: true }),
      store.resealWith('me', NEW, (sealed) => writing(() => (wrapKey.set(NEW), saved.push({ key: sealed.iv, book: JSON.parse(sealed.ct) })))),
      store.put('me', 'dan', { keys: 'digest-dan', verified: false }),
    ]);
    expect(writes.most).toBe(1);
    expect(saved.at(-1)!.key).toBe('new');
    expect(Object.keys(saved.at(-1)!.book.contacts).sort()).toEqual(['bob', 'cat', 'dan']);
  });

  it('keeps room pins in the book beside the contacts, the first pin of a room only, and through a password change', async () => {
    await store.put('me', 'bob', { keys: 'digest-bob', verified: true });
    await store.pinRoom('me', 'room-1', 'pin-1');
    await store.pinRoom('me', 'room-1', 'pin-other');
    expect(await store.roomPin('me', 'room-1')).toBe('pin-1');
    expect(saved.at(-1)!.book).toEqual({ v: 1, contacts: { bob: { keys: 'digest-bob', verified: true } }, rooms: { 'room-1': 'pin-1' } });
    const stored: SealedContactBook[] = [];
    await store.resealWith('me', NEW, async (sealed) => void stored.push(sealed));
    expect(JSON.parse(stored[0]!.ct).rooms).toEqual({ 'room-1': 'pin-1' });
  });
});
