import { Injectable } from '@angular/core';
import type { PublicKeys } from '@conclave/contracts';

/** What this browser remembers about a contact, per signed-in user: the keys first seen, and the verdict. */
export interface ContactRecord {
  publicKeys: PublicKeys;
  verified: boolean;
}

const DB_NAME = 'conclave-contacts';
const STORE = 'contacts';

/**
 * Verification marks and first-seen identity keys, in IndexedDB under "ownerId/contactId". They stay
 * across sign-outs on this browser: a changed key must still be noticed after the next sign-in.
 */
@Injectable({ providedIn: 'root' })
export class ContactStore {
  private db?: Promise<IDBDatabase>;

  async get(ownerId: string, contactId: string): Promise<ContactRecord | undefined> {
    return this.run<ContactRecord | undefined>('readonly', (store) => store.get(`${ownerId}/${contactId}`));
  }

  async put(ownerId: string, contactId: string, record: ContactRecord): Promise<void> {
    await this.run('readwrite', (store) => store.put(record, `${ownerId}/${contactId}`));
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this.db;
  }

  private async run<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest): Promise<T> {
    const db = await this.open();
    return new Promise<T>((resolve, reject) => {
      const request = action(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result as T);
      request.onerror = () => reject(request.error);
    });
  }
}
