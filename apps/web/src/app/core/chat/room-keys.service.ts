import { inject, Injectable, signal } from '@angular/core';
import { CHAT_EVENTS, type EpochAnnouncement, type KeyBox, type KeyRequested, type PublicKeys, type RotateRequest } from '@conclave/contracts';
import { CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';
import { DirectoryService } from './directory.service';
import type { MembershipService, RoomTrust } from './membership.service';
import { SocketRequestError, SocketService } from './socket.service';

export interface KeyRecipient {
  userId: string;
  publicKeys: PublicKeys;
}

/**
 * Room epoch keys in this browser (docs/protocol.md §8): opened from signed key boxes, made
 * for a room that has none (epoch 1) or when a member leaves (rotation), each with its signed key
 * commitment, shared with members who ask. A box is used only if its key matches its epoch's
 * announcement, so a member cannot hand anyone a key of its choosing; with several boxes for an
 * epoch (several sharers), the first that checks wins, and when none does other members are asked.
 * Keys live in memory only; boxes are fetched again after a reload.
 */
@Injectable({ providedIn: 'root' })
export class RoomKeysService {
  private readonly socket = inject(SocketService);
  private readonly crypto = inject(CryptoService);
  private readonly session = inject(SessionService);
  private readonly directory = inject(DirectoryService);
  /** MembershipService, which sets itself here (it injects this service, so this one cannot inject it back). */
  membership?: Pick<MembershipService, 'roomTrust'>;

  /** Rooms (by id) whose current key this browser is waiting for a member to share. */
  readonly waiting = signal<ReadonlySet<string>>(new Set());
  /** Bumped whenever keys arrive, so undecryptable-for-now messages are tried again. */
  readonly version = signal(0);
  /** Boxes whose signature did not verify, or whose key is not the one announced for their epoch: never used, and said so. */
  readonly rejectedBoxes = signal(0);
  /** Per room (by id), the epochs whose every box was refused: asked for again from other members until a good one arrives. */
  readonly refusedEpochs = signal<ReadonlyMap<string, readonly number[]>>(new Map());

  private readonly held = new Map<string, Map<number, CryptoKey>>();
  private readonly current = new Map<string, number>();
  /** Per room with a genesis: whether an epoch lacks an announcement (from the last key:boxes). */
  private readonly unannounced = new Map<string, ((epoch: number) => boolean) | undefined>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly waiters = new Set<{ roomId: string; wake: () => void }>();
  /** Per room and epoch, the refused boxes (by sharer and signature) and their sharers; never opened twice. */
  private readonly refused = new Map<string, Map<number, Map<string, string>>>();
  /** Per room, "epoch/sharer" of refusals already told to the server: asking again is worth it only for a sharer not refused before. */
  private readonly reported = new Map<string, Set<string>>();

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
    if (this.key(roomId, epoch)) {
      this.setWaiting(roomId, false);
      if (this.unannounced.get(roomId)?.(epoch)) await this.announceNext(roomId, epoch, members);
      return;
    }
    // Its boxes were all refused: other members were asked already (askAgain), and the request waits on the server.
    if (this.refusedEpochs().get(roomId)?.includes(epoch)) return this.setWaiting(roomId, true);
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

  /**
   * A room with a genesis whose current epoch has no announcement (made before key commitments): the
   * next epoch is made, announced, so nothing is sent under a key nobody committed to. Another member
   * being faster is fine; a refusal leaves the current key in use and is logged.
   */
  private async announceNext(roomId: string, epoch: number, members: () => Promise<KeyRecipient[]>): Promise<void> {
    try {
      await this.makeEpoch(roomId, epoch + 1, await members());
    } catch (err) {
      if (!(err instanceof SocketRequestError && err.code === 'epoch-conflict')) console.warn(`Announcing a new epoch of ${roomId} failed:`, err);
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
    try {
      await this.socket.request(CHAT_EVENTS.keyShare, { roomId: request.roomId, boxes });
    } catch (err) {
      // The requester left or was removed while the boxes were being sealed: the server stores no box
      // for someone not admitted (docs/protocol.md §8.4), which is the outcome wanted.
      if (!(err instanceof SocketRequestError && err.code === 'not-admitted')) throw err;
      console.warn(`Nothing shared in ${request.roomId}: the requester is no longer admitted`);
    }
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
      this.unannounced.delete(roomId);
      this.refused.delete(roomId);
      this.reported.delete(roomId);
      this.setRefusedEpochs(roomId, []);
      this.setWaiting(roomId, false);
      return;
    }
    this.held.clear();
    this.current.clear();
    this.unannounced.clear();
    this.refused.clear();
    this.reported.clear();
    this.waiters.clear();
    this.waiting.set(new Set());
    this.refusedEpochs.set(new Map());
  }

  private async openBoxes(roomId: string): Promise<void> {
    const me = this.me();
    const { boxes, epochs } = await this.socket.request(CHAT_EVENTS.keyBoxes, { roomId });
    const trust = await this.trust(roomId);
    // A room whose pinned genesis changed or vanished: no key is taken from anyone (docs/protocol.md §7).
    if (trust.genesis === 'changed') return;
    // Only announcements of this room, each under its own epoch, count.
    const announcements = new Map(epochs.filter((a) => a?.roomId === roomId).map((a) => [a.epoch, a]));
    // Announcements begin with the first epoch made after key commitments came in: from then on, every
    // epoch has one. Epochs before it (a room made before them) are taken on their box's signature, and
    // in a room with a genesis only from a sharer its admission chain admitted; ensure() then moves such
    // a room on to an announced epoch before anyone sends under an unannounced one.
    const firstAnnounced = announcements.size ? Math.min(...announcements.keys()) : Infinity;
    this.unannounced.set(roomId, trust.genesis === 'none' ? undefined : (epoch: number) => !announcements.has(epoch));
    let opened = 0;
    for (const box of boxes) {
      if (this.key(roomId, box.epoch)) continue;
      const id = `${box.sharerId}/${box.sig}`;
      if (this.refused.get(roomId)?.get(box.epoch)?.has(id)) continue;
      const key = await this.openChecked(roomId, box, announcements.get(box.epoch), firstAnnounced, trust, me).catch(() => undefined);
      if (key) {
        this.store(roomId, box.epoch, key);
        opened++;
      } else {
        this.refusedIn(roomId, box.epoch).set(id, box.sharerId);
        this.rejectedBoxes.update((n) => n + 1);
      }
    }
    for (const box of boxes) this.setCurrentEpoch(roomId, box.epoch);
    if (opened) this.version.update((v) => v + 1);
    await this.askAgain(roomId);
  }

  /**
   * The box's key, if its signature verifies under its sharer's directory key and the key is the one
   * its epoch's maker announced (the announcement verified under the maker's directory key). An
   * epoch made before key commitments has no announcement: its box's signature is all there is, as
   * in v1; but once an earlier epoch is announced, a later one without announcement is refused.
   */
  private async openChecked(
    roomId: string,
    box: KeyBox,
    announcement: EpochAnnouncement | undefined,
    firstAnnounced: number,
    trust: RoomTrust,
    me: { userId: string; enc: CryptoKey },
  ): Promise<CryptoKey> {
    if (box.roomId !== roomId) throw new Error(`A box of room ${box.roomId} offered for ${roomId}`);
    // In a room with a genesis, only someone its admission chain admitted (now or before) may share or make its keys.
    const inChain = (userId: string) => trust.genesis === 'none' || trust.chain.has(userId);
    if (!inChain(box.sharerId)) throw new Error(`Sharer ${box.sharerId} was never admitted to ${roomId}`);
    const sharer = await this.directory.lookup(box.sharerId);
    const key = await this.crypto.openKeyBox(box, me.userId, me.enc, sharer.publicKeys);
    if (!announcement) {
      if (box.epoch >= firstAnnounced) throw new Error(`Epoch ${box.epoch} of ${roomId} has no announcement, and none before ${firstAnnounced} may lack one`);
      return key;
    }
    if (announcement.roomId !== roomId || announcement.epoch !== box.epoch) throw new Error(`The announcement for epoch ${box.epoch} is of another room or epoch`);
    if (!inChain(announcement.makerId)) throw new Error(`Maker ${announcement.makerId} was never admitted to ${roomId}`);
    const maker = await this.directory.lookup(announcement.makerId);
    if (!(await this.crypto.isAnnouncedKey(key, announcement, maker.publicKeys))) throw new Error(`The key of epoch ${box.epoch} is not the announced one`);
    return key;
  }

  /**
   * Epochs whose every box was refused: other members are asked for them (key:request with epochs),
   * once for each sharer newly refused, so a member sending one bad box after another cannot make this
   * browser ask forever.
   */
  private async askAgain(roomId: string): Promise<void> {
    const refused = this.refused.get(roomId) ?? new Map<number, Map<string, string>>();
    const epochs = [...refused.keys()].filter((e) => !this.key(roomId, e)).sort((a, b) => a - b);
    this.setRefusedEpochs(roomId, epochs);
    let reported = this.reported.get(roomId);
    if (!reported) this.reported.set(roomId, (reported = new Set()));
    const fresh = epochs.flatMap((e) => [...refused.get(e)!.values()].map((sharer) => `${e}/${sharer}`)).filter((entry) => !reported.has(entry));
    if (!fresh.length) return;
    for (const entry of fresh) reported.add(entry);
    let waiting = false;
    try {
      waiting = (await this.socket.request(CHAT_EVENTS.keyRequest, { roomId, epochs })).waiting;
    } catch (err) {
      // A box for an epoch this member may not read (before they joined) cannot be asked for: ask for each epoch alone.
      if (!(err instanceof SocketRequestError && err.code === 'invalid-payload') || epochs.length === 1) throw err;
      for (const epoch of epochs) {
        const asked = await this.socket.request(CHAT_EVENTS.keyRequest, { roomId, epochs: [epoch] }).catch(() => undefined);
        waiting ||= !!asked?.waiting;
      }
    }
    if (waiting && !this.key(roomId, this.current.get(roomId) ?? 0)) this.setWaiting(roomId, true);
  }

  private refusedIn(roomId: string, epoch: number): Map<string, string> {
    let byEpoch = this.refused.get(roomId);
    if (!byEpoch) this.refused.set(roomId, (byEpoch = new Map()));
    let boxes = byEpoch.get(epoch);
    if (!boxes) byEpoch.set(epoch, (boxes = new Map()));
    return boxes;
  }

  private setRefusedEpochs(roomId: string, epochs: readonly number[]): void {
    const known = this.refusedEpochs().get(roomId) ?? [];
    if (known.length === epochs.length && known.every((e, i) => e === epochs[i])) return;
    const next = new Map(this.refusedEpochs());
    if (epochs.length) next.set(roomId, epochs);
    else next.delete(roomId);
    this.refusedEpochs.set(next);
  }

  private async makeEpoch(roomId: string, epoch: number, members: KeyRecipient[]): Promise<void> {
    // A room whose pinned genesis changed or vanished gets no key from this browser (docs/protocol.md §7).
    if ((await this.trust(roomId)).genesis === 'changed') throw new Error(`Room ${roomId}: its genesis changed, no epoch is made`);
    const me = this.me();
    const epochKey = await this.crypto.generateEpochKey();
    const boxes = await Promise.all(
      members.map((recipient) => this.crypto.sealKeyBox({ roomId, epoch, epochKey, recipient, sharerId: me.userId, sharerSig: me.sig })),
    );
    const announcement = await this.crypto.announceEpoch({ roomId, epoch, makerId: me.userId, epochKey, makerSig: me.sig });
    await this.socket.request(CHAT_EVENTS.newEpoch, { roomId, epoch, boxes, announcement });
    this.store(roomId, epoch, epochKey);
    this.setCurrentEpoch(roomId, epoch);
    this.setWaiting(roomId, false);
    this.version.update((v) => v + 1);
  }

  private trust(roomId: string): Promise<RoomTrust> {
    if (!this.membership) throw new Error('No membership service to check the room against');
    return this.membership.roomTrust(roomId);
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
