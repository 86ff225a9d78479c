import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { SessionService } from '../session.service';
import { type ContactRecord, ContactStore } from './contact-store.service';
import { ContactsService } from './contacts.service';

/** The server-backed book is covered by the API and chromium suites; here, its logic alone. */
class MemoryContactStore {
  readonly records = new Map<string, ContactRecord>();
  async get(owner: string, contact: string) {
    return this.records.get(`${owner}/${contact}`);
  }
  async put(owner: string, contact: string, record: ContactRecord) {
    this.records.set(`${owner}/${contact}`, record);
  }
}

describe('ContactsService', () => {
  const bob = { userId: 'bob', username: 'bob', publicKeys: { enc: 'E1', sig: 'S1' } };
  let contacts: ContactsService;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        { provide: ContactStore, useValue: new MemoryContactStore() },
        { provide: SessionService, useValue: { user: signal({ id: 'me', username: 'me', publicKeys: { enc: 'x', sig: 'y' } }) } },
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
});
