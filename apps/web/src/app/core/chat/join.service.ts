import { inject, Injectable, signal } from '@angular/core';
import type { AdmissionResolved, JoinResult, JoinRoomRequest, PendingRoom } from '@conclave/contracts';
import { ApiClient } from '../api-client.service';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';

/** How to ask: a code alone (a member approves), with the room password, or with an invite link's secret. */
export interface JoinCredentials {
  password?: string;
  inviteSecret?: string;
}

/**
 * The joiner's side of admission (docs/protocol.md, "Joining"): the request with the proof a
 * member's browser checks (the password and the invite secret stay in this browser), the rooms
 * waiting for a member to let this user in, and their outcome.
 */
@Injectable({ providedIn: 'root' })
export class JoinService {
  private readonly api = inject(ApiClient);
  private readonly crypto = inject(CryptoService);
  private readonly session = inject(SessionService);

  /** Rooms asked to join, not admitted to yet. */
  readonly pending = signal<PendingRoom[]>([]);
  /** Codes of rooms whose members declined this user's request (until dismissed or asked again). */
  readonly declined = signal<string[]>([]);

  async refresh(): Promise<void> {
    this.pending.set(await this.api.pendingRooms());
  }

  async join(code: string, credentials: JoinCredentials = {}): Promise<JoinResult> {
    const result = await this.api.joinRoom(code, await this.request(code, credentials));
    this.declined.update((codes) => codes.filter((c) => c !== code));
    if (result.status === 'pending') this.pending.update((rooms) => [...rooms.filter((r) => r.code !== code), result.room]);
    return result;
  }

  async cancel(code: string): Promise<void> {
    await this.api.cancelJoin(code);
    this.pending.update((rooms) => rooms.filter((r) => r.code !== code));
  }

  /** admission:resolved for this user. */
  resolved(notice: AdmissionResolved): void {
    this.pending.update((rooms) => rooms.filter((r) => r.code !== notice.code));
    if (notice.outcome === 'declined') this.declined.update((codes) => [...codes.filter((c) => c !== notice.code), notice.code]);
  }

  dismissDeclined(code: string): void {
    this.declined.update((codes) => codes.filter((c) => c !== code));
  }

  clear(): void {
    this.pending.set([]);
    this.declined.set([]);
  }

  /** The join body: proofs bind the code, this user and their directory keys, so a relayed request with other keys fails. */
  private async request(code: string, { password, inviteSecret }: JoinCredentials): Promise<JoinRoomRequest> {
    const user = this.session.user();
    if (!user) throw new Error('Not signed in');
    const subject = { code, joinerId: user.id, joinerKeys: user.publicKeys };
    if (inviteSecret) {
      const [id, verifier] = await Promise.all([this.crypto.inviteIdFromSecret(inviteSecret), this.crypto.inviteVerifier(inviteSecret)]);
      return { invite: { id, proof: await this.crypto.joinProof(verifier, subject) } };
    }
    if (password) {
      const { joinKey, admitKey } = await this.crypto.deriveRoomPassword(password, code);
      return { joinKey, proof: await this.crypto.joinProof(admitKey, subject) };
    }
    return {};
  }
}
