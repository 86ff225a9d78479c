import { computed, inject, Injectable, signal } from '@angular/core';
import type { MeResponse } from '@conclave/contracts';
import { DecryptionError, type PrivateIdentity } from '@conclave/crypto';
import { ApiClient, ApiError } from './api-client.service';
import { CryptoService, type KeyGenerationStep } from './crypto.service';
import { KeyStoreService } from './key-store.service';

export type SessionState = 'unknown' | 'signed-out' | 'signed-in';

export interface SignUpInput {
  username: string;
  password: string;
  /** The captcha widget's solution. */
  captcha: string;
}

/**
 * Sign-up created the account, but signing in to it failed: the user should sign in (not sign up
 * again, which the taken username would refuse).
 */
export class AccountCreatedError extends Error {
  constructor(
    readonly username: string,
    readonly reason: string,
  ) {
    super(`Your account ${username} was created, but signing you in failed (${reason})`);
    this.name = 'AccountCreatedError';
  }
}

/** A failed registration whose outcome is unknown: the answer was lost (0) or the server failed on the way (5xx). */
const unknownOutcome = (err: unknown): err is ApiError => err instanceof ApiError && (err.status === 0 || err.status >= 500);

/**
 * Who is signed in, and the sign-up / sign-in / sign-out flows. The password only ever reaches
 * libs/crypto; the server gets the derived authKey and the sealed backup.
 */
@Injectable({ providedIn: 'root' })
export class SessionService {
  private readonly api = inject(ApiClient);
  private readonly crypto = inject(CryptoService);
  private readonly keyStore = inject(KeyStoreService);

  /** Usernames whose registration from this tab ended with an unknown outcome: the account may exist. */
  private readonly unsure = new Set<string>();
  private readonly current = signal<{ user: MeResponse; keys: PrivateIdentity; wrapKey: CryptoKey } | null | undefined>(undefined);
  readonly user = computed(() => this.current()?.user ?? null);
  /** The signed-in user's private keys (non-extractable): unwrap room keys, sign boxes and messages. */
  readonly keys = computed(() => this.current()?.keys ?? null);
  /** The password's wrapKey (non-extractable): seals the contact book. */
  readonly wrapKey = computed(() => this.current()?.wrapKey ?? null);
  readonly state = computed<SessionState>(() => (this.current() === undefined ? 'unknown' : this.current() ? 'signed-in' : 'signed-out'));

  /** At start-up: a live server session plus this browser's stored keys means signed in. */
  async restore(): Promise<void> {
    try {
      const user = await this.api.currentUser();
      const stored = user ? await this.keyStore.load(user.id) : undefined;
      if (user && stored) return this.current.set({ user, keys: stored.identity, wrapKey: stored.wrapKey });
      // A session whose keys are gone (site data cleared) cannot decrypt anything: sign in again.
      if (user) await this.api.logout();
      this.current.set(null);
    } catch {
      this.current.set(null);
    }
  }

  async signUp(input: SignUpInput, onStep: (step: KeyGenerationStep | 'registering' | 'signing-in') => void): Promise<void> {
    const username = input.username.trim().toLowerCase();
    const account = await this.crypto.createAccount(username, input.password, onStep);
    onStep('registering');
    try {
      await this.api.register({
        userId: account.userId,
        username,
        authKey: account.keys.authKey,
        publicKeys: account.publicKeys,
        keyBackup: account.keyBackup,
        captcha: input.captcha,
      });
    } catch (err) {
      // The account may exist all the same: this answer was lost, or the username is "taken" after an
      // earlier attempt from here whose answer was lost. The keys derive from the username and
      // password alone: if they open an account of that name, it is this person's, now signed in.
      // (Never tried on a plain "taken": that sign-in would count as a failure against someone else's account.)
      const lost = unknownOutcome(err);
      if (!lost && !(err instanceof ApiError && err.status === 409 && this.unsure.has(username))) throw err;
      onStep('signing-in');
      try {
        await this.finishSignIn(username, account.keys.authKey, account.keys.wrapKey);
        this.unsure.delete(username);
        return;
      } catch {
        if (lost) this.unsure.add(username);
        throw err;
      }
    }
    onStep('signing-in');
    try {
      await this.finishSignIn(username, account.keys.authKey, account.keys.wrapKey);
    } catch (err) {
      throw new AccountCreatedError(username, (err as Error).message);
    }
  }

  async signIn(usernameInput: string, password: string): Promise<void> {
    const username = usernameInput.trim().toLowerCase();
    const keys = await this.crypto.deriveAccountKeys(password, username);
    await this.finishSignIn(username, keys.authKey, keys.wrapKey);
  }

  /** After a password change: the new wrapKey seals from now on, here and in IndexedDB. */
  async replaceWrapKey(wrapKey: CryptoKey): Promise<void> {
    const current = this.current();
    if (!current) throw new Error('Not signed in');
    // In memory first: contact writes from now on must use it even if IndexedDB fails.
    this.current.set({ ...current, wrapKey });
    await this.keyStore.save(current.user.id, { identity: current.keys, wrapKey });
  }

  /** Ends the session on the server and forgets this browser's keys, even if the server cannot be reached. */
  async signOut(): Promise<void> {
    try {
      await this.api.logout();
    } finally {
      await this.keyStore.clear();
      this.current.set(null);
    }
  }

  private async finishSignIn(username: string, authKey: string, wrapKey: CryptoKey): Promise<void> {
    const response = await this.api.login({ username, authKey });
    let keys: PrivateIdentity;
    try {
      keys = await this.crypto.openKeyBackup(response.keyBackup, wrapKey, response.id);
    } catch (err) {
      // The server accepted the credential but the backup does not open: never keep such a session.
      await this.api.logout().catch(() => undefined);
      throw err instanceof DecryptionError ? new ApiError(0, 'Your key backup could not be opened with this password') : err;
    }
    await this.keyStore.save(response.id, { identity: keys, wrapKey });
    this.current.set({ user: { id: response.id, username: response.username, publicKeys: response.publicKeys, admin: response.admin }, keys, wrapKey });
  }
}
