import { inject, Injectable } from '@angular/core';
import { INVITE_LINK_PATH, type InviteSummary, PASSWORD_VERIFIER_ID } from '@conclave/contracts';
import { ApiClient } from '../api-client.service';
import { CryptoService } from '../crypto.service';
import { RoomKeysService } from './room-keys.service';

export interface InviteOptions {
  /** Days the link stays valid. */
  days: number;
  /** How many people may join with it. */
  uses: number;
}

export interface CreatedInvite {
  /** https://HOST/join/CODE#SECRET: the secret travels only in the fragment, which browsers never send. */
  link: string;
  summary: InviteSummary;
}

const DAY_MS = 86_400_000;

/**
 * The ways into a room that a member's browser can check (docs/protocol.md, "Invites" and "Room
 * password"): invite links and the room password. Their verifier keys are sealed under the room's
 * current epoch key, so only members can check a joiner's proof, and the server never sees the secret.
 */
@Injectable({ providedIn: 'root' })
export class RoomAccessService {
  private readonly api = inject(ApiClient);
  private readonly crypto = inject(CryptoService);
  private readonly keys = inject(RoomKeysService);

  async createInvite(room: { id: string; code: string }, { days, uses }: InviteOptions, origin = globalThis.location.origin): Promise<CreatedInvite> {
    const secret = this.crypto.newInviteSecret();
    const [id, verifier] = await Promise.all([this.crypto.inviteIdFromSecret(secret), this.crypto.inviteVerifier(secret)]);
    const { epoch, key } = await this.keys.keyForSending(room.id);
    const sealed = await this.crypto.sealVerifier({ roomId: room.id, epoch, epochKey: key, verifierId: id, verifier });
    const summary = await this.api.createInvite(room.code, { id, expiresAt: new Date(Date.now() + days * DAY_MS).toISOString(), maxUses: uses, sealed });
    return { link: `${origin}${INVITE_LINK_PATH(room.code)}#${secret}`, summary };
  }

  /** The owner sets the room password: the server gets bcrypt's input (joinKey) and the sealed admitKey, never the password. */
  async setPassword(room: { id: string; code: string }, password: string): Promise<void> {
    const { joinKey, admitKey } = await this.crypto.deriveRoomPassword(password, room.code);
    const { epoch, key } = await this.keys.keyForSending(room.id);
    const sealed = await this.crypto.sealVerifier({ roomId: room.id, epoch, epochKey: key, verifierId: PASSWORD_VERIFIER_ID, verifier: admitKey });
    await this.api.setRoomPassword(room.code, { joinKey, sealed });
  }
}
