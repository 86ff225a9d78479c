import { Injectable } from '@angular/core';
import type { PrivateIdentity } from '@conclave/crypto';

const DB_NAME = 'conclave';
const STORE = 'identity';

interface StoredIdentity extends PrivateIdentity {
  userId: string;
  /** Seals the contact book (docs/protocol.md §5.3–5.4); non-extractable like the rest. */
  wrapKey?: CryptoKey;
}

/** What the browser keeps for the signed-in user. */
export interface StoredKeys {
  identity: PrivateIdentity;
  wrapKey: CryptoKey;
}

/**
 * The signed-in user's private keys and wrapKey, as non-extractable CryptoKeys in IndexedDB (never
 * localStorage): usable by this origin's code, not readable as bytes by anyone. Cleared at sign-out.
 */
@Injectable({ providedIn: 'root' })
export class KeyStoreService {
  private db?: Promise<IDBDatabase>;

  async save(userId: string, { identity, wrapKey }: StoredKeys): Promise<void> {
    await this.run('readwrite', (store) => store.put({ userId, enc: identity.enc, sig: identity.sig, wrapKey } satisfies StoredIdentity, 'current'));
  }

  /** The stored keys if they belong to `userId` (and are complete: older entries lack wrapKey). */
  async load(userId: string): Promise<StoredKeys | undefined> {
    const stored = await this.run<StoredIdentity | undefined>('readonly', (store) => store.get('current'));
    return stored?.userId === userId && stored.wrapKey ? { identity: { enc: stored.enc, sig: stored.sig }, wrapKey: stored.wrapKey } : undefined;
  }

  async clear(): Promise<void> {
    await this.run('readwrite', (store) => store.clear());
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
