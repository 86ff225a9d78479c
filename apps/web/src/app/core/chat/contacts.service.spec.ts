import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { SessionService } from '../session.service';
import { type ContactRecord, ContactStore } from './contact-store.service';
import { ContactsService } from './contacts.service';
import { DirectoryService } from './directory.service';

/** The server-backed book is covered by the API and chromium suites; here, its logic alone. */
class MemoryContactStore {
  readonly records = new Map<string, ContactRecord>();
  async get(owner: string, contact: string) {
    return this.records.get(`${owner}/${contact}`);
  }
  async put(owner: string, contact: string, record: ContactRecord) {
    this.records.set(`${owner}/${contact}`, record);
  }
  async contacts(owner: string) {
    return new Map([...this.records].filter(([key]) => key.startsWith(`${owner}/`)).map(([key, record]) => [key.slice(owner.length + 1), record]));
  }
}

describe('ContactsService', () => {
  const bob = { userId: 'bob', username: 'bob', publicKeys: { enc: 'E1', sig: 'S1' } };
  let contacts: ContactsService;
  const directory = new Map<string, typeof bob>();

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        { provide: ContactStore, useValue: new MemoryContactStore() },
        { provide: SessionService, useValue: { user: signal({ id: 'me', username: 'me', publicKeys: { enc: 'x', sig: 'y' } }) } },
        { provide: DirectoryService, useValue: { lookup: async (userId: string) => directory.get(userId) ?? Promise.reject(new Error('unknown')) } },
      ],
    });
    contacts = TestBed.inject(ContactsService);
  });

  it('trusts keys on first sight, unverified, and ignores the user themself', async () => {
    await contacts.observe([bob, { userId: 'me', username: 'me', publicKeys: { enc: 'x', sig: 'y' } }]);
    expect(contacts.status('bob')).toMatchObject({ verified: false, keyChanged: false });
    expect(contacts.status('me')).toBeUndefined();
  });

  it('keeps a verification for the same keys, and drops it with a warning when the keys change', async () => {
    await contacts.observe([bob]);
    await contacts.markVerified('bob');
    await contacts.observe([bob]);
    expect(contacts.status('bob')).toMatchObject({ verified: true, keyChanged: false });

    await contacts.observe([{ ...bob, publicKeys: { enc: 'E2', sig: 'S2' } }]);
    expect(contacts.status('bob')).toMatchObject({ verified: false, keyChanged: true });
    expect(contacts.changed().map((c) => c.userId)).toEqual(['bob']);

    await contacts.acceptChangedKeys(['bob']);
    await contacts.observe([{ ...bob, publicKeys: { enc: 'E2', sig: 'S2' } }]);
    expect(contacts.status('bob')).toMatchObject({ verified: false, keyChanged: false });
  });

  it('loads the verification marks of the book at sign-in, for the keys the directory has now', async () => {
    const cyd = { userId: 'cyd', username: 'cyd', publicKeys: { enc: 'E3', sig: 'S3' } };
    await contacts.observe([bob, cyd]);
    await contacts.markVerified('bob');
    await contacts.markVerified('cyd');
    await contacts.observe([{ userId: 'dan', username: 'dan', publicKeys: { enc: 'E4', sig: 'S4' } }]);
    contacts.clear();
    expect(contacts.status('bob')).toBeUndefined();

    directory.set('bob', bob);
    directory.set('cyd', { ...cyd, publicKeys: { enc: 'E5', sig: 'S5' } });
    await contacts.load();
    expect(contacts.status('bob')).toMatchObject({ username: 'bob', verified: true, keyChanged: false });
    expect(contacts.status('cyd')).toMatchObject({ verified: false, keyChanged: true });
    // Not verified: left to the rooms that show them.
    expect(contacts.status('dan')).toBeUndefined();
  });
});
