import { computed, inject, Injectable, signal } from '@angular/core';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';
import { ContactStore } from './contact-store.service';
import { type DirectoryEntry, DirectoryService } from './directory.service';

/** A member as the verification view sees them: their directory entry and the verdict on their keys. */
export interface ContactStatus extends DirectoryEntry {
  /** Marked verified, for these very keys. */
  verified: boolean;
  /** The keys differ from the ones verified or first seen: the user is warned before sending. */
  keyChanged: boolean;
}

/**
 * Verification (docs/protocol.md §5.3–5.4): trust on first sight, "mark as verified" after comparing safety numbers,
 * and a changed identity key noticed and surfaced until acknowledged. The contact book behind it
 * follows the user (ContactStore).
 */
@Injectable({ providedIn: 'root' })
export class ContactsService {
  private readonly store = inject(ContactStore);
  private readonly crypto = inject(CryptoService);
  private readonly session = inject(SessionService);
  private readonly directory = inject(DirectoryService);
  private readonly statuses = signal<ReadonlyMap<string, ContactStatus>>(new Map());

  readonly all = this.statuses.asReadonly();
  readonly changed = computed(() => [...this.statuses().values()].filter((c) => c.keyChanged));

  status(userId: string): ContactStatus | undefined {
    return this.statuses().get(userId);
  }

  /**
   * At sign-in: the verification marks of the contact book (made on any device), checked against
   * each verified contact's current keys, so messages show them before any room with that contact
   * is opened (or when none is: a contact who left every shared room).
   */
  async load(): Promise<void> {
    const owner = this.session.user()?.id;
    if (!owner) return;
    const book = await this.store.contacts(owner);
    const known = (userId: string) => this.statuses().has(userId) || this.session.user()?.id !== owner;
    await Promise.all(
      [...book].map(async ([userId, record]) => {
        if (!record.verified || userId === owner || known(userId)) return;
        const person = await this.directory.lookup(userId).catch(() => null);
        if (!person) return;
        const keyChanged = (await this.crypto.keysDigest(person.publicKeys)) !== record.keys;
        // A room observed them meanwhile: its verdict is as fresh.
        if (!known(userId)) this.set({ ...person, verified: !keyChanged, keyChanged });
      }),
    );
  }

  /** Signed out: nothing of this user's verdicts stays on screen for the next one. */
  clear(): void {
    this.statuses.set(new Map());
  }

  /** Compares members' current keys with what this browser remembers; remembers newcomers. */
  async observe(people: DirectoryEntry[]): Promise<void> {
    const owner = this.owner();
    for (const person of people) {
      if (person.userId === owner) continue;
      const [known, keys] = await Promise.all([this.store.get(owner, person.userId), this.crypto.keysDigest(person.publicKeys)]);
      if (!known) await this.store.put(owner, person.userId, { keys, verified: false });
      const keyChanged = !!known && known.keys !== keys;
      this.set({ ...person, verified: !!known?.verified && !keyChanged, keyChanged });
    }
  }

  async markVerified(userId: string): Promise<void> {
    const contact = this.require(userId);
    await this.store.put(this.owner(), userId, { keys: await this.crypto.keysDigest(contact.publicKeys), verified: true });
    this.set({ ...contact, verified: true, keyChanged: false });
  }

  async unmarkVerified(userId: string): Promise<void> {
    const contact = this.require(userId);
    await this.store.put(this.owner(), userId, { keys: await this.crypto.keysDigest(contact.publicKeys), verified: false });
    this.set({ ...contact, verified: false });
  }

  /** The user saw the warning and sends anyway: the new keys become the known ones (not verified). */
  async acceptChangedKeys(userIds: string[]): Promise<void> {
    for (const userId of userIds) {
      const contact = this.require(userId);
      await this.store.put(this.owner(), userId, { keys: await this.crypto.keysDigest(contact.publicKeys), verified: false });
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
