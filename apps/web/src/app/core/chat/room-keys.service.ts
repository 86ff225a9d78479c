import { inject, Injectable, signal } from '@angular/core';
import { CHAT_EVENTS, type KeyBox, type KeyRequested, type PublicKeys, type RotateRequest } from '@conclave/contracts';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';
import { DirectoryService } from './directory.service';
import { SocketRequestError, SocketService } from './socket.service';

export interface KeyRecipient {
  userId: string;
  publicKeys: PublicKeys;
}

/**
 * Room epoch keys in this browser (shared/design/e2e.md §3): opened from signed key boxes, made for
 * a room that has none (epoch 1) or when a member leaves (rotation), shared with members who ask.
 * Keys live in memory only; boxes are fetched again after a reload.
 */
@Injectable({ providedIn: 'root' })
export class RoomKeysService {
  private readonly socket = inject(SocketService);
  private readonly crypto = inject(CryptoService);
  private readonly session = inject(SessionService);
  private readonly directory = inject(DirectoryService);

  /** Rooms (by id) whose current key this browser is waiting for a member to share. */
  readonly waiting = signal<ReadonlySet<string>>(new Set());
  /** Bumped whenever keys arrive, so undecryptable-for-now messages are tried again. */
  readonly version = signal(0);
  /** Boxes whose signature did not verify: never used, and said so. */
  readonly rejectedBoxes = signal(0);

  private readonly held = new Map<string, Map<number, CryptoKey>>();
  private readonly current = new Map<string, number>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly waiters = new Set<{ roomId: string; wake: () => void }>();

  key(roomId: string, epoch: number): CryptoKey | undefined {
    return this.held.get(roomId)?.get(epoch);
  }

  currentEpoch(roomId: string): number | undefined {
    return this.current.get(roomId);
  }

  /** The server told us (enter, key:epoch, a refused send) which epoch messages must use now. */
  setCurrentEpoch(roomId: string, epoch: number): void {
    if ((this.current.get(roomId) ?? 0) >= epoch) return;
    this.current.set(roomId, epoch);
    this.wake(roomId);
  }

  /** The current epoch and its key, once this browser holds it (a rotation meanwhile moves to the newer one). */
  async keyForSending(roomId: string): Promise<{ epoch: number; key: CryptoKey }> {
    for (;;) {
      const epoch = this.current.get(roomId);
      const key = epoch === undefined ? undefined : this.key(roomId, epoch);
      if (epoch !== undefined && key) return { epoch, key };
      await new Promise<void>((wake) => this.waiters.add({ roomId, wake }));
    }
  }

  /**
   * After entering a room: hold its current key, or get it. A room nobody holds a key for gets its
   * first epoch made here; otherwise a member is asked to share (key:request → key:available).
   */
  async ensure(roomId: string, currentEpoch: number, members: () => Promise<KeyRecipient[]>): Promise<void> {
    this.setCurrentEpoch(roomId, currentEpoch);
    await this.refresh(roomId);
    const epoch = this.current.get(roomId)!;
    if (this.key(roomId, epoch)) return this.setWaiting(roomId, false);
    const asked = await this.socket.request(CHAT_EVENTS.keyRequest, { roomId });
    if (asked.waiting) return this.setWaiting(roomId, true);
    // Nobody holds a key yet: this member makes the first epoch, with a box for every member.
    try {
      await this.makeEpoch(roomId, epoch, await members());
    } catch (err) {
      if (!(err instanceof SocketRequestError && err.code === 'epoch-conflict')) throw err;
      // Someone else made it first: their box for us is on the server.
      await this.refresh(roomId);
      if (!this.key(roomId, this.current.get(roomId)!)) await this.ensure(roomId, Number(err.error['currentEpoch'] ?? epoch), members);
    }
  }

  /** key:requested: share the epochs we hold with a member who is waiting, each box signed by us. */
  async share(request: KeyRequested): Promise<void> {
    const me = this.me();
    await this.refresh(request.roomId);
    const epochs = request.epochs.filter((epoch) => this.key(request.roomId, epoch));
    if (!epochs.length) return;
    const boxes = await Promise.all(
      epochs.map((epoch) =>
        this.crypto.sealKeyBox({
          roomId: request.roomId,
          epoch,
          epochKey: this.key(request.roomId, epoch)!,
          recipient: { userId: request.requesterId, publicKeys: request.publicKeys },
          sharerId: me.userId,
          sharerSig: me.sig,
        }),
      ),
    );
    await this.socket.request(CHAT_EVENTS.keyShare, { roomId: request.roomId, boxes });
  }

  /** key:rotate: a member left; the first to answer makes the next epoch for those who remain. */
  async rotate(request: RotateRequest): Promise<void> {
    // From now on messages wait for the next epoch: the one the leaver will never hold.
    this.setCurrentEpoch(request.roomId, request.nextEpoch);
    try {
      await this.makeEpoch(request.roomId, request.nextEpoch, request.members);
    } catch (err) {
      // Another member was faster: the key:epoch notice brings their box.
      if (!(err instanceof SocketRequestError && err.code === 'epoch-conflict')) throw err;
    }
  }

  /** key:epoch or key:available: fetch and open the new boxes. */
  async arrived(roomId: string, epoch?: number): Promise<void> {
    if (epoch) this.setCurrentEpoch(roomId, epoch);
    await this.refresh(roomId);
    if (this.key(roomId, this.current.get(roomId) ?? 0)) this.setWaiting(roomId, false);
  }

  /** Fetches this member's boxes in a room and opens those not opened yet (one fetch at a time per room). */
  refresh(roomId: string): Promise<void> {
    const running = this.refreshing.get(roomId);
    if (running) return running.then(() => this.refresh(roomId));
    const work = this.openBoxes(roomId).finally(() => this.refreshing.delete(roomId));
    this.refreshing.set(roomId, work);
    return work;
  }

  forget(roomId?: string): void {
    if (roomId) {
      this.held.delete(roomId);
      this.current.delete(roomId);
      this.setWaiting(roomId, false);
      return;
    }
    this.held.clear();
    this.current.clear();
    this.waiters.clear();
    this.waiting.set(new Set());
  }

  private async openBoxes(roomId: string): Promise<void> {
    const me = this.me();
    const boxes = await this.socket.request<KeyBox[]>(CHAT_EVENTS.keyBoxes, { roomId });
    let opened = 0;
    for (const box of boxes) {
      if (this.key(roomId, box.epoch)) continue;
      try {
        const sharer = await this.directory.lookup(box.sharerId);
        this.store(roomId, box.epoch, await this.crypto.openKeyBox(box, me.userId, me.enc, sharer.publicKeys));
        opened++;
      } catch {
        this.rejectedBoxes.update((n) => n + 1);
      }
    }
    for (const box of boxes) this.setCurrentEpoch(roomId, box.epoch);
    if (opened) this.version.update((v) => v + 1);
  }

  private async makeEpoch(roomId: string, epoch: number, members: KeyRecipient[]): Promise<void> {
    const me = this.me();
    const epochKey = await this.crypto.generateEpochKey();
    const boxes = await Promise.all(
      members.map((recipient) => this.crypto.sealKeyBox({ roomId, epoch, epochKey, recipient, sharerId: me.userId, sharerSig: me.sig })),
    );
    await this.socket.request(CHAT_EVENTS.newEpoch, { roomId, epoch, boxes });
    this.store(roomId, epoch, epochKey);
    this.setCurrentEpoch(roomId, epoch);
    this.setWaiting(roomId, false);
    this.version.update((v) => v + 1);
  }

  private store(roomId: string, epoch: number, key: CryptoKey): void {
    let epochs = this.held.get(roomId);
    if (!epochs) this.held.set(roomId, (epochs = new Map()));
    epochs.set(epoch, key);
    this.wake(roomId);
  }

  private wake(roomId: string): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.roomId !== roomId) continue;
      this.waiters.delete(waiter);
      waiter.wake();
    }
  }

  private setWaiting(roomId: string, waiting: boolean): void {
    const next = new Set(this.waiting());
    if (waiting) next.add(roomId);
    else next.delete(roomId);
    this.waiting.set(next);
  }

  private me(): { userId: string; enc: CryptoKey; sig: CryptoKey } {
    const user = this.session.user();
    const keys = this.session.keys();
    if (!user || !keys) throw new Error('Not signed in');
    return { userId: user.id, enc: keys.enc, sig: keys.sig };
  }
}
