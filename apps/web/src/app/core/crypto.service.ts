import { Injectable, signal } from '@angular/core';
import type { ContactBook, EpochAnnouncement, KeyBackup, KeyBox, MessageContent, MessageEnvelope, PublicKeys, SealedContactBook, StoredMessage } from '@conclave/contracts';
import {
  type AccountKeys,
  announceEpoch,
  characterCount,
  decryptMessage,
  deriveAccountKeys,
  encryptMessage,
  exportPublicKeys,
  fingerprint,
  formatSafetyNumber,
  generateEpochKey,
  generateIdentity,
  type IdentityRef,
  importPublicKeys,
  isWebCryptoAvailable,
  keyMatchesCommitment,
  keysDigest,
  type NewIdentity,
  openContactBook,
  openKeyBackup,
  openKeyBox,
  type PrivateIdentity,
  rewrapKeyBackup,
  type PublicIdentity,
  safetyNumber,
  sealContactBook,
  sealKeyBackup,
  sealKeyBox,
  textContent,
  verifyEpochAnnouncement,
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

  /** The backup sealed under a new password's wrapKey (a wrong oldWrapKey gives a DecryptionError). */
  rewrapKeyBackup(backup: KeyBackup, oldWrapKey: CryptoKey, newWrapKey: CryptoKey, userId: string): Promise<KeyBackup> {
    return rewrapKeyBackup(backup, oldWrapKey, newWrapKey, userId);
  }

  /** What the contact book remembers of someone's identity keys (e2e.md §6). */
  keysDigest(keys: PublicKeys): Promise<string> {
    return keysDigest(keys);
  }

  /** The contact book, sealed under wrapKey for the server to keep (it follows the user). */
  sealContactBook(book: ContactBook, wrapKey: CryptoKey, userId: string): Promise<SealedContactBook> {
    return sealContactBook(book, wrapKey, userId);
  }

  openContactBook(sealed: SealedContactBook, wrapKey: CryptoKey, userId: string): Promise<ContactBook> {
    return openContactBook(sealed, wrapKey, userId);
  }

  /** A room epoch key (extractable: members re-share it with joiners). */
  generateEpochKey(): Promise<CryptoKey> {
    return generateEpochKey();
  }

  /** Wraps `epochKey` to the recipient's enc key and signs the box as `me`. */
  async sealKeyBox(input: { roomId: string; epoch: number; epochKey: CryptoKey; recipient: IdentityRef; sharerId: string; sharerSig: CryptoKey }): Promise<KeyBox> {
    return sealKeyBox({
      roomId: input.roomId,
      epoch: input.epoch,
      epochKey: input.epochKey,
      recipientId: input.recipient.userId,
      recipientEnc: (await this.publicIdentity(input.recipient.publicKeys)).enc,
      sharerId: input.sharerId,
      sharerSig: input.sharerSig,
    });
  }

  /** Checks the box is for me and signed by its sharer (throws SignatureError otherwise), then unwraps it. */
  async openKeyBox(box: KeyBox, recipientId: string, recipientEnc: CryptoKey, sharerKeys: PublicKeys): Promise<CryptoKey> {
    return openKeyBox(box, { recipientId, recipientEnc, sharerSig: (await this.publicIdentity(sharerKeys)).sig });
  }

  /** The epoch's key commitment, signed as its maker (sent with key:new-epoch). */
  announceEpoch(input: { roomId: string; epoch: number; makerId: string; epochKey: CryptoKey; makerSig: CryptoKey }): Promise<EpochAnnouncement> {
    return announceEpoch(input);
  }

  /**
   * Whether `epochKey` is the key the epoch's maker announced, the announcement checked against the
   * maker's directory keys first (throws SignatureError when it is not theirs).
   */
  async isAnnouncedKey(epochKey: CryptoKey, announcement: EpochAnnouncement, makerKeys: PublicKeys): Promise<boolean> {
    await verifyEpochAnnouncement(announcement, makerKeys);
    return keyMatchesCommitment(epochKey, announcement);
  }

  encryptText(input: { roomId: string; senderId: string; epoch: number; epochKey: CryptoKey; senderSig: CryptoKey; body: string; clientMsgId?: string }): Promise<MessageEnvelope> {
    const { body, ...rest } = input;
    return encryptMessage({ ...rest, content: textContent(body) });
  }

  /** Verifies the sender's signature, then decrypts (SignatureError / DecryptionError / MalformedPlaintextError). */
  async decryptMessage(message: StoredMessage, epochKey: CryptoKey, senderKeys: PublicKeys): Promise<MessageContent> {
    return decryptMessage(message, { epochKey, senderSig: (await this.publicIdentity(senderKeys)).sig });
  }

  /** Code points, as the protocol counts the 150-character limit. */
  characterCount(text: string): number {
    return characterCount(text);
  }

  /** The 60-digit safety number of two users, as 12 groups of 5. */
  async safetyNumber(a: IdentityRef, b: IdentityRef): Promise<string[]> {
    return formatSafetyNumber(await safetyNumber(a, b));
  }

  /** Imported public keys, cached by their bytes (imports are not free and members repeat). */
  private publicIdentity(keys: PublicKeys): Promise<PublicIdentity> {
    const id = `${keys.enc}|${keys.sig}`;
    let imported = this.imported.get(id);
    if (!imported) {
      imported = importPublicKeys(keys);
      imported.catch(() => this.imported.delete(id));
      this.imported.set(id, imported);
    }
    return imported;
  }

  private readonly imported = new Map<string, Promise<PublicIdentity>>();

  /** 30 digits, in groups of 5, for the user to compare out of band. */
  async fingerprint(userId: string, publicKeys: PublicKeys): Promise<string[]> {
    return (await fingerprint({ userId, publicKeys })).match(/\d{5}/g) ?? [];
  }
}
