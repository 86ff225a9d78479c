import { computed, inject, Injectable, signal } from '@angular/core';
import type { PublicKeys } from '@conclave/contracts';
import { SessionService } from '../session.service';
import { ContactStore } from './contact-store.service';

export interface ContactStatus {
  userId: string;
  username: string;
  publicKeys: PublicKeys;
  /** Marked verified, for these very keys. */
  verified: boolean;
  /** The keys differ from the ones verified or first seen: the user is warned before sending. */
  keyChanged: boolean;
}

const sameKeys = (a: PublicKeys, b: PublicKeys) => a.enc === b.enc && a.sig === b.sig;

/**
 * Verification (e2e.md §6) as this browser sees it: trust on first sight, "mark as verified" after
 * comparing safety numbers, and a changed identity key noticed and surfaced until acknowledged.
 */
@Injectable({ providedIn: 'root' })
export class ContactsService {
  private readonly store = inject(ContactStore);
  private readonly session = inject(SessionService);
  private readonly statuses = signal<ReadonlyMap<string, ContactStatus>>(new Map());

  readonly all = this.statuses.asReadonly();
  readonly changed = computed(() => [...this.statuses().values()].filter((c) => c.keyChanged));

  status(userId: string): ContactStatus | undefined {
    return this.statuses().get(userId);
  }

  /** Compares members' current keys with what this browser remembers; remembers newcomers. */
  async observe(people: Array<{ userId: string; username: string; publicKeys: PublicKeys }>): Promise<void> {
    const owner = this.owner();
    for (const person of people) {
      if (person.userId === owner) continue;
      const known = await this.store.get(owner, person.userId);
      if (!known) await this.store.put(owner, person.userId, { publicKeys: person.publicKeys, verified: false });
      const keyChanged = !!known && !sameKeys(known.publicKeys, person.publicKeys);
      this.set({ ...person, verified: !!known?.verified && !keyChanged, keyChanged });
    }
  }

  async markVerified(userId: string): Promise<void> {
    const contact = this.require(userId);
    await this.store.put(this.owner(), userId, { publicKeys: contact.publicKeys, verified: true });
    this.set({ ...contact, verified: true, keyChanged: false });
  }

  async unmarkVerified(userId: string): Promise<void> {
    const contact = this.require(userId);
    await this.store.put(this.owner(), userId, { publicKeys: contact.publicKeys, verified: false });
    this.set({ ...contact, verified: false });
  }

  /** The user saw the warning and sends anyway: the new keys become the known ones (not verified). */
  async acceptChangedKeys(userIds: string[]): Promise<void> {
    for (const userId of userIds) {
      const contact = this.require(userId);
      await this.store.put(this.owner(), userId, { publicKeys: contact.publicKeys, verified: false });
      this.set({ ...contact, verified: false, keyChanged: false });
    }
  }

  private set(status: ContactStatus): void {
    this.statuses.update((all) => new Map(all).set(status.userId, status));
  }

  private require(userId: string): ContactStatus {
    const contact = this.statuses().get(userId);
    if (!contact) throw new Error(`Unknown contact ${userId}`);
    return contact;
  }

  private owner(): string {
    const user = this.session.user();
    if (!user) throw new Error('Not signed in');
    return user.id;
  }
}
