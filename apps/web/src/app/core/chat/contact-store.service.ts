import { inject, Injectable } from '@angular/core';
import type { ContactBook, SealedContactBook } from '@conclave/contracts';
import { DecryptionError } from '@conclave/crypto';
import { ApiClient } from '../api-client.service';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';

/** What the user's contact book remembers of a contact: the digest of the keys accepted, and the verdict. */
export type ContactRecord = ContactBook['contacts'][string];

/** The book in memory: contacts, and the genesis digest pinned per room id. */
interface Book {
  contacts: Map<string, ContactRecord>;
  rooms: Map<string, string>;
}

/**
 * The contact book (docs/protocol.md §5.3–5.4): verification marks and accepted identity keys, kept on the server
 * sealed under the user's wrapKey, so they follow the user to another browser and the server
 * cannot read them. Read once per signed-in user; every change writes the whole book back (changes
 * made while a write is in flight go out together in the next one).
 */
@Injectable({ providedIn: 'root' })
export class ContactStore {
  private readonly api = inject(ApiClient);
  private readonly crypto = inject(CryptoService);
  private readonly session = inject(SessionService);
  private book?: { owner: string; data: Promise<Book> };
  private writing?: Promise<void>;
  private dirty = false;

  async get(ownerId: string, contactId: string): Promise<ContactRecord | undefined> {
    return (await this.data(ownerId)).contacts.get(contactId);
  }

  /** Every contact the book remembers, by user id. */
  async contacts(ownerId: string): Promise<ReadonlyMap<string, ContactRecord>> {
    return new Map((await this.data(ownerId)).contacts);
  }

  /** The digest of the genesis pinned for a room (docs/protocol.md §7), if this user ever saw or signed one. */
  async roomPin(ownerId: string, roomId: string): Promise<string | undefined> {
    return (await this.data(ownerId)).rooms.get(roomId);
  }

  /** Pins a room's genesis: only the first pin counts, a later one never replaces it. */
  async pinRoom(ownerId: string, roomId: string, digest: string): Promise<void> {
    const book = await this.data(ownerId);
    if (book.rooms.has(roomId)) return;
    book.rooms.set(roomId, digest);
    this.dirty = true;
    await this.flush(ownerId);
  }

  async put(ownerId: string, contactId: string, record: ContactRecord): Promise<void> {
    (await this.data(ownerId)).contacts.set(contactId, record);
    this.dirty = true;
    await this.flush(ownerId);
  }

  /**
   * A password change: `change` gets the whole book sealed under the new wrapKey and stores it with
   * the new credential. No other write runs meanwhile, so none lands under the old key after the
   * change; marks made meanwhile are written afterwards, under the session's wrapKey by then.
   */
  async resealWith(owner: string, wrapKey: CryptoKey, change: (sealed: SealedContactBook) => Promise<void>): Promise<void> {
    // Checked again right before taking the turn (no await in between), as in flush.
    while (this.writing) await this.settled();
    this.writing = (async () => {
      await change(await this.crypto.sealContactBook(plain(await this.data(owner)), wrapKey, owner));
    })().finally(() => (this.writing = undefined));
    await this.writing;
    await this.flush(owner);
  }

  /** The write in flight, settled whether it worked or not. */
  private settled(): Promise<unknown> {
    return this.writing?.catch(() => undefined) ?? Promise.resolve();
  }

  private data(owner: string): Promise<Book> {
    if (this.book?.owner !== owner) {
      const data = this.fetch(owner);
      // A failed read (server unreachable) is tried again next time, not remembered.
      data.catch(() => {
        if (this.book?.data === data) this.book = undefined;
      });
      this.book = { owner, data };
    }
    return this.book.data;
  }

  private async fetch(owner: string): Promise<Book> {
    const sealed = await this.api.contactBook();
    if (!sealed) return { contacts: new Map(), rooms: new Map() };
    try {
      const book = await this.crypto.openContactBook(sealed, this.wrapKey(), owner);
      const rooms = Object.entries(book.rooms && typeof book.rooms === 'object' ? book.rooms : {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
      return { contacts: new Map(Object.entries(book.contacts)), rooms: new Map(rooms) };
    } catch (err) {
      // Sealed under another password's wrapKey: start afresh rather than lock the user out of chat.
      if (err instanceof DecryptionError) return { contacts: new Map(), rooms: new Map() };
      throw err;
    }
  }

  /** One write at a time; whatever changed meanwhile goes in the next. */
  private async flush(owner: string): Promise<void> {
    while (this.writing) await this.settled();
    if (!this.dirty) return;
    this.dirty = false;
    this.writing = (async () => {
      await this.api.saveContactBook(await this.crypto.sealContactBook(plain(await this.data(owner)), this.wrapKey(), owner));
    })().finally(() => (this.writing = undefined));
    await this.writing;
  }

  private wrapKey(): CryptoKey {
    const wrapKey = this.session.wrapKey();
    if (!wrapKey) throw new Error('Not signed in');
    return wrapKey;
  }
}

/** The book as sealed: `rooms` only once a room is pinned, so a book without pins reads as before. */
function plain(book: Book): ContactBook {
  return { v: 1, contacts: Object.fromEntries(book.contacts), ...(book.rooms.size ? { rooms: Object.fromEntries(book.rooms) } : {}) };
}
