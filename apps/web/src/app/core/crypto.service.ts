import { Injectable, signal } from '@angular/core';
import type {
  Admission,
  AllowedMimeType,
  AdmissionVia,
  ContactBook,
  EpochAnnouncement,
  FileContent,
  FileDescriptor,
  KeyBackup,
  KeyBox,
  MessageContent,
  MessageEnvelope,
  PublicKeys,
  RoomGenesis,
  SealedContactBook,
  SealedVerifier,
  StoredMessage,
} from '@conclave/contracts';
import {
  type AccountKeys,
  type AdmittedMember,
  admittedMembers,
  admissionChain,
  type AdmittedMembersInput,
  announceEpoch,
  checkJoinProof,
  characterCount,
  checkFileType,
  decryptFile,
  decryptMessage,
  deriveAccountKeys,
  editContent,
  type EncryptedFile,
  encryptFile,
  encryptMessage,
  exportPublicKeys,
  fingerprint,
  formatSafetyNumber,
  generateEpochKey,
  generateIdentity,
  type IdentityRef,
  importPublicKeys,
  deriveRoomPassword,
  inviteIdFromSecret,
  inviteVerifier,
  isWebCryptoAvailable,
  joinProof,
  keyMatchesCommitment,
  keysDigest,
  memberKeysDigest,
  newInviteSecret,
  type NewIdentity,
  openContactBook,
  openKeyBackup,
  openKeyBox,
  openVerifier,
  type PrivateIdentity,
  rewrapKeyBackup,
  type PublicIdentity,
  safetyNumber,
  sealContactBook,
  sealKeyBackup,
  sealKeyBox,
  sealVerifier,
  signAdmission,
  signGenesis,
  textContent,
  verifyEpochAnnouncement,
} from '@conclave/crypto';

export type { AdmittedMember };

/** Who a join proof is made by: the room's code, the joiner and the joiner's directory keys. */
export interface JoinProofSubject {
  code: string;
  joinerId: string;
  joinerKeys: PublicKeys;
}

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

  /** What the contact book remembers of someone's identity keys (docs/protocol.md §5.3–5.4). */
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

  /** A text, or with editOf an edit of the sender's own text message (docs/protocol.md §9b), under the deployment's limit. */
  encryptText(input: { roomId: string; senderId: string; epoch: number; epochKey: CryptoKey; senderSig: CryptoKey; body: string; clientMsgId?: string; maxChars: number; editOf?: number }): Promise<MessageEnvelope> {
    const { body, editOf, ...rest } = input;
    return encryptMessage({ ...rest, content: editOf === undefined ? textContent(body) : editContent(editOf, body) });
  }

  /** A file message (docs/protocol.md §10): its content carries the file's key, so it travels only inside an encrypted envelope. */
  encryptFileMessage(input: { roomId: string; senderId: string; epoch: number; epochKey: CryptoKey; senderSig: CryptoKey; content: FileContent; clientMsgId?: string }): Promise<MessageEnvelope> {
    return encryptMessage(input);
  }

  /** The type a file may be shared as, by its extension and its bytes (UnsupportedFileTypeError / FileTypeMismatchError otherwise). */
  checkFileType(bytes: Uint8Array, fileName: string): AllowedMimeType {
    return checkFileType(bytes, fileName);
  }

  /** Encrypts a file for its room and id with a key of its own (FileTooLargeError, type errors). */
  encryptFile(bytes: Uint8Array<ArrayBuffer>, fileName: string, place: { roomId: string; fileId: string }): Promise<EncryptedFile> {
    return encryptFile(bytes, fileName, place);
  }

  /** Checks the ciphertext hash, decrypts for the room and id, and checks size, SHA-256 and type (FileIntegrityError, DecryptionError, FileTypeMismatchError). */
  decryptFile(ciphertext: Uint8Array<ArrayBuffer>, descriptor: FileDescriptor, place: { roomId: string; fileId: string }): Promise<Uint8Array<ArrayBuffer>> {
    return decryptFile(ciphertext, descriptor, place);
  }

  /** Verifies the sender's signature, then decrypts (SignatureError / DecryptionError / MalformedPlaintextError). */
  async decryptMessage(message: StoredMessage, epochKey: CryptoKey, senderKeys: PublicKeys): Promise<MessageContent> {
    return decryptMessage(message, { epochKey, senderSig: (await this.publicIdentity(senderKeys)).sig });
  }

  /** Code points, as the protocol counts the message limit. */
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

  // Membership (docs/protocol.md, "Membership"): genesis, admissions, invites and the room password.

  /** The digest an admission names: the keys a box for this member may be wrapped to. */
  memberKeysDigest(userId: string, keys: PublicKeys): Promise<string> {
    return memberKeysDigest(userId, keys);
  }

  signGenesis(input: { roomId: string; creatorId: string; creatorKeys: PublicKeys; creatorSig: CryptoKey }): Promise<RoomGenesis> {
    return signGenesis(input);
  }

  signAdmission(input: { roomId: string; memberId: string; memberKeys: PublicKeys; admitterId: string; via: AdmissionVia; admitterSig: CryptoKey }): Promise<Admission> {
    return signAdmission(input);
  }

  /** The current members whose admission chain verifies back to the genesis, with the keys it names (empty without a valid genesis). */
  admittedMembers(input: AdmittedMembersInput): Promise<Map<string, AdmittedMember>> {
    return admittedMembers(input);
  }

  /** Everyone the room's admission chain ever admitted (current members or not): who may share its keys or make its epochs. */
  admissionChain(input: Omit<AdmittedMembersInput, 'members'>): Promise<Map<string, AdmittedMember>> {
    return admissionChain(input);
  }

  /**
   * What the contact book pins of a room's genesis (docs/protocol.md §7): base64 of the first 16 bytes
   * of SHA-256 over its fields, canonical JSON. Equal digests mean the same genesis.
   */
  async genesisDigest(genesis: RoomGenesis): Promise<string> {
    const canonical = JSON.stringify(['conclave/v1/genesis-pin', genesis.roomId, genesis.creatorId, genesis.creatorKeys, genesis.sig]);
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))).slice(0, 16);
    return btoa(String.fromCharCode(...digest));
  }

  /** A new invite's secret: the link's fragment, which never reaches a server. */
  newInviteSecret(): string {
    return newInviteSecret();
  }

  /** What the server knows of an invite. */
  inviteIdFromSecret(secret: string): Promise<string> {
    return inviteIdFromSecret(secret);
  }

  /** The invite's verifier key: members check join proofs with it. */
  inviteVerifier(secret: string): Promise<Uint8Array> {
    return inviteVerifier(secret);
  }

  /** joinKey (for the server's gate) and admitKey (the proof's verifier) from a room password; the password never leaves the browser. */
  deriveRoomPassword(password: string, code: string): Promise<{ joinKey: string; admitKey: Uint8Array }> {
    return deriveRoomPassword(password, code);
  }

  /** A verifier key sealed under an epoch key for the members holding it. */
  sealVerifier(input: { roomId: string; epoch: number; epochKey: CryptoKey; verifierId: string; verifier: Uint8Array }): Promise<SealedVerifier> {
    return sealVerifier(input);
  }

  /** Opens a sealed verifier (DecryptionError when it is not the one sealed for this room, epoch and verifier id). */
  openVerifier(input: { roomId: string; verifierId: string; sealed: SealedVerifier; epochKey: CryptoKey }): Promise<Uint8Array> {
    return openVerifier(input);
  }

  joinProof(verifier: Uint8Array, subject: JoinProofSubject): Promise<string> {
    return joinProof(verifier, subject);
  }

  checkJoinProof(verifier: Uint8Array, subject: JoinProofSubject, proof: string): Promise<boolean> {
    return checkJoinProof(verifier, subject, proof);
  }

  /** 30 digits, in groups of 5, for the user to compare out of band. */
  async fingerprint(userId: string, publicKeys: PublicKeys): Promise<string[]> {
    return (await fingerprint({ userId, publicKeys })).match(/\d{5}/g) ?? [];
  }
}
