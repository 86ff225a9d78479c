import { inject, Injectable } from '@angular/core';
import type { PublicKeys } from '@conclave/contracts';
import { ApiClient } from '../api-client.service';

export interface DirectoryEntry {
  userId: string;
  username: string;
  publicKeys: PublicKeys;
}

/**
 * Public keys and names of the people whose messages and key boxes this browser checks: seeded
 * from room member lists, completed from the server's key directory (former members included).
 */
@Injectable({ providedIn: 'root' })
export class DirectoryService {
  private readonly api = inject(ApiClient);
  private readonly entries = new Map<string, Promise<DirectoryEntry>>();

  remember(entry: DirectoryEntry): void {
    this.entries.set(entry.userId, Promise.resolve(entry));
  }

  lookup(userId: string): Promise<DirectoryEntry> {
    let entry = this.entries.get(userId);
    if (!entry) {
      entry = this.api.userKeys(userId).then((u) => ({ userId: u.id, username: u.username, publicKeys: u.publicKeys }));
      entry.catch(() => this.entries.delete(userId));
      this.entries.set(userId, entry);
    }
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }
}
