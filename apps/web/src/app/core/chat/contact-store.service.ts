import { inject, Injectable } from '@angular/core';
import type { ContactBook, SealedContactBook } from '@conclave/contracts';
import { DecryptionError } from '@conclave/crypto';
import { ApiClient } from '../api-client.service';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';

/** What the user's contact book remembers of a contact: the digest of the keys accepted, and the verdict. */
export type ContactRecord = ContactBook['contacts'][string];

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
  private book?: { owner: string; contacts: Promise<Map<string, ContactRecord>> };
  private writing?: Promise<void>;
  private dirty = false;

  async get(ownerId: string, contactId: string): Promise<ContactRecord | undefined> {
    return (await this.contacts(ownerId)).get(contactId);
  }

  async put(ownerId: string, contactId: string, record: ContactRecord): Promise<void> {
    (await this.contacts(ownerId)).set(contactId, record);
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
      const contacts = Object.fromEntries(await this.contacts(owner));
      await change(await this.crypto.sealContactBook({ v: 1, contacts }, wrapKey, owner));
    })().finally(() => (this.writing = undefined));
    await this.writing;
    await this.flush(owner);
  }

  /** The write in flight, settled whether it worked or not. */
  private settled(): Promise<unknown> {
    return this.writing?.catch(() => undefined) ?? Promise.resolve();
  }

  private contacts(owner: string): Promise<Map<string, ContactRecord>> {
    if (this.book?.owner !== owner) {
      const contacts = this.fetch(owner);
      // A failed read (server unreachable) is tried again next time, not remembered.
      contacts.catch(() => {
        if (this.book?.contacts === contacts) this.book = undefined;
      });
      this.book = { owner, contacts };
    }
    return this.book.contacts;
  }

  private async fetch(owner: string): Promise<Map<string, ContactRecord>> {
    const sealed = await this.api.contactBook();
    if (!sealed) return new Map();
    try {
      return new Map(Object.entries((await this.crypto.openContactBook(sealed, this.wrapKey(), owner)).contacts));
    } catch (err) {
      // Sealed under another password's wrapKey: start afresh rather than lock the user out of chat.
      if (err instanceof DecryptionError) return new Map();
      throw err;
    }
  }

  /** One write at a time; whatever changed meanwhile goes in the next. */
  private async flush(owner: string): Promise<void> {
    while (this.writing) await this.settled();
    if (!this.dirty) return;
    this.dirty = false;
    this.writing = (async () => {
      const contacts = Object.fromEntries(await this.contacts(owner));
      await this.api.saveContactBook(await this.crypto.sealContactBook({ v: 1, contacts }, this.wrapKey(), owner));
    })().finally(() => (this.writing = undefined));
    await this.writing;
  }

  private wrapKey(): CryptoKey {
    const wrapKey = this.session.wrapKey();
    if (!wrapKey) throw new Error('Not signed in');
    return wrapKey;
  }
}
