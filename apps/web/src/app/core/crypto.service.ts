import { Injectable, signal } from '@angular/core';
import type { KeyBackup, PublicKeys } from '@conclave/contracts';
import {
  type AccountKeys,
  deriveAccountKeys,
  exportPublicKeys,
  fingerprint,
  generateIdentity,
  isWebCryptoAvailable,
  type NewIdentity,
  openKeyBackup,
  type PrivateIdentity,
  sealKeyBackup,
} from '@conclave/crypto';

/** What sign-up produces in the browser: everything the server stores, and the keys the browser keeps. */
export interface NewAccountMaterial {
  userId: string;
  keys: AccountKeys;
  publicKeys: PublicKeys;
  keyBackup: KeyBackup;
  identity: NewIdentity;
}

export type KeyGenerationStep = 'deriving' | 'generating' | 'sealing';

/**
 * The web app's one door to libs/crypto: every encryption, signature and key operation of the
 * protocol goes through here.
 */
@Injectable({ providedIn: 'root' })
export class CryptoService {
  /**
   * Browsers expose WebCrypto only in secure contexts (https, localhost). Without it nothing can be
   * encrypted, so the app says so instead of failing later.
   */
  readonly available = signal(isWebCryptoAvailable()).asReadonly();

  /** password → authKey (sent to the server) + wrapKey (never leaves this browser). */
  deriveAccountKeys(password: string, username: string): Promise<AccountKeys> {
    return deriveAccountKeys(password, username);
  }

  /** Keys, identity and sealed backup for a new account; reports each slow step as it starts. */
  async createAccount(username: string, password: string, onStep: (step: KeyGenerationStep) => void): Promise<NewAccountMaterial> {
    onStep('deriving');
    const keys = await deriveAccountKeys(password, username);
    onStep('generating');
    const identity = await generateIdentity();
    onStep('sealing');
    const userId = globalThis.crypto.randomUUID();
    const [publicKeys, keyBackup] = await Promise.all([exportPublicKeys(identity), sealKeyBackup(identity, keys.wrapKey, userId)]);
    return { userId, keys, publicKeys, keyBackup, identity };
  }

  /** Opens the backup into non-extractable private keys (a wrong password gives a DecryptionError). */
  openKeyBackup(backup: KeyBackup, wrapKey: CryptoKey, userId: string): Promise<PrivateIdentity> {
    return openKeyBackup(backup, wrapKey, userId);
  }

  /** 30 digits, in groups of 5, for the user to compare out of band. */
  async fingerprint(userId: string, publicKeys: PublicKeys): Promise<string[]> {
    return (await fingerprint({ userId, publicKeys })).match(/\d{5}/g) ?? [];
  }
}
