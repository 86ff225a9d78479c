import { BadRequestException, Injectable } from '@nestjs/common';
import type { MessageEnvelope } from '@conclave/contracts';
import { importPublicKeys, InvalidInputError, type PublicIdentity, SignatureError, verifyMessageSignature } from '@conclave/crypto';
import { UsersService } from '../auth/users/users.service.js';

/** An imported public ECDSA key (WebCrypto's CryptoKey). */
type SigKey = PublicIdentity['sig'];

/** Senders whose imported sig key is kept. Directory keys never change, so a kept key is never stale. */
export const SIG_KEY_CACHE_SIZE = 10_000;

/**
 * The server's check of every message before it is stored (docs/protocol.md, messages): the envelope
 * must verify under the sender's directory sig key for its room, epoch and clientMsgId. So a forged
 * signature, an envelope altered, another member's message re-sent, or one moved to another room never
 * reaches anyone's history. The server still cannot read a message: the check needs no epoch key.
 */
@Injectable()
export class MessageSignatures {
  /** userId → imported sig key, least recently used first (a Map keeps insertion order). */
  private readonly keys = new Map<string, Promise<SigKey>>();

  constructor(private readonly users: UsersService) {}

  /** Whether `senderId` signed the envelope; BadRequestException for one the protocol cannot even read. */
  async verify(senderId: string, envelope: MessageEnvelope): Promise<boolean> {
    const key = await this.sigKeyOf(senderId);
    try {
      await verifyMessageSignature({ ...envelope, senderId }, key);
      return true;
    } catch (err) {
      if (err instanceof SignatureError) return false;
      if (err instanceof InvalidInputError) throw new BadRequestException(err.message);
      throw err;
    }
  }

  private sigKeyOf(userId: string): Promise<SigKey> {
    const kept = this.keys.get(userId);
    if (kept) {
      this.keys.delete(userId);
      this.keys.set(userId, kept);
      return kept;
    }
    const key = this.importSigKey(userId);
    this.keys.set(userId, key);
    // A failed look-up (the database down) is not kept: the next message tries again.
    key.catch(() => this.keys.get(userId) === key && this.keys.delete(userId));
    if (this.keys.size > SIG_KEY_CACHE_SIZE) this.keys.delete(this.keys.keys().next().value!);
    return key;
  }

  private async importSigKey(userId: string): Promise<SigKey> {
    const [user] = await this.users.findByIds([userId]);
    if (!user) throw new Error(`no directory keys for sender ${userId}`);
    return (await importPublicKeys({ enc: user.encPublicKey, sig: user.sigPublicKey })).sig;
  }
}
