import { computed, inject, Injectable, signal } from '@angular/core';
import {
  type AdmissionResolved,
  CHAT_EVENTS,
  type JoinRequest,
  PASSWORD_VERIFIER_ID,
  type PublicKeys,
  type RoomDetail,
  type RoomMember,
} from '@conclave/contracts';
import { ApiClient } from '../api-client.service';
import { type AdmittedMember, CryptoService } from '../crypto.service';
import { SessionService } from '../session.service';
import { ContactStore } from './contact-store.service';
import { ContactsService } from './contacts.service';
import { DirectoryService } from './directory.service';
import { type KeyRecipient, RoomKeysService } from './room-keys.service';
import { SocketService } from './socket.service';

/** A join request as members see it on screen: waiting for Admit / Decline. */
export interface ShownRequest extends JoinRequest {
  /** Why a human decides although the request came with a proof (none for a plain approval request). */
  note?: string;
}

/** A room as this browser knows it: the id its keys are bound to, and the code to look it up by. */
export interface RoomRef {
  id: string;
  code: string;
}

/** What this browser may do with a room's key: the admitted members it wraps to, and those held back. */
export interface KeyAudience {
  recipients: KeyRecipient[];
  /** Admitted members whose identity key changed since this browser saw it: never wrapped to silently. */
  heldBack: string[];
}

/**
 * What this browser trusts of a room's membership (docs/protocol.md §7): 'none', a room without genesis
 * never pinned here (made before v2: nobody is admitted, keys go by signature as in v1); 'signed', the
 * genesis pinned here (or pinned now, seen first), with its admission chain; 'changed', the server
 * serves another genesis than the pinned one, or none: nobody is admitted, no key shared, made or taken.
 */
export interface RoomTrust {
  genesis: 'none' | 'signed' | 'changed';
  /** Everyone the chain ever admitted, current members or not, with the keys it admitted (empty unless 'signed'). */
  chain: ReadonlyMap<string, AdmittedMember>;
}

type ProofVerdict = 'valid' | 'invalid' | 'unchecked';

/**
 * Membership the server cannot forge, in this browser (docs/protocol.md §7 and
 * §8.2): the admitted set of a room, computed from its signed genesis and admissions; who room
 * keys may be wrapped to (admitted members only, to the keys their admission names, cross-checked with
 * the contact book); join requests: proofs checked and admitted automatically, approval requests shown
 * to the user; the owner's genesis for a room that has none.
 */
@Injectable({ providedIn: 'root' })
export class MembershipService {
  private readonly api = inject(ApiClient);
  private readonly socket = inject(SocketService);
  private readonly crypto = inject(CryptoService);
  private readonly session = inject(SessionService);
  private readonly directory = inject(DirectoryService);
  private readonly contacts = inject(ContactsService);
  private readonly keys = inject(RoomKeysService);
  private readonly store = inject(ContactStore);

  /** The rooms this browser knows (ChatService sets it to its room list); the server's list is asked when a room is not in it. */
  knownRooms: () => readonly RoomRef[] = () => [];
  /** Rooms (by id) whose genesis changed or vanished since this user pinned it: the server may be tampering. */
  readonly tampered = signal<ReadonlySet<string>>(new Set());

  constructor() {
    // Key boxes and announcements are checked against the room's admission chain (docs/protocol.md §8).
    this.keys.membership = this;
  }

  private readonly shown = signal<ReadonlyMap<string, ShownRequest>>(new Map());
  /** Join requests waiting for the user's decision, by room code. */
  readonly requests = computed(() => {
    const byCode: Record<string, ShownRequest[]> = {};
    for (const request of this.shown().values()) (byCode[request.code] ??= []).push(request);
    return byCode;
  });
  /** Admitted members whose key changed and who were not given a room key because of it, by room id. */
  readonly heldBack = signal<Readonly<Record<string, string[]>>>({});
  /** Bumped when someone was admitted or declined: member lists are loaded again. */
  readonly resolutions = signal(0);
  private readonly signing = new Map<string, Promise<void>>();
  /** Requests being decided (automatically or by the user): one decision each. */
  private readonly deciding = new Set<string>();

  /**
   * The room's admitted set (docs/protocol.md §7): current members whose admission chain verifies back to the
   * genesis of the room this browser means (`roomId`: a genesis of another room admits nobody here).
   * Former members' keys (admitters who left) come from the key directory.
   */
  async admitted(detail: RoomDetail, roomId: string): Promise<Map<string, AdmittedMember>> {
    const { chain } = await this.trust(detail, roomId);
    const admitted = new Map<string, AdmittedMember>();
    for (const m of detail.members) {
      const link = chain.get(m.id);
      if (link && (await this.crypto.memberKeysDigest(m.id, m.publicKeys).catch(() => undefined)) === link.keys) admitted.set(m.id, link);
    }
    return admitted;
  }

  /**
   * The room's genesis checked against the one this user pinned (docs/protocol.md §7), and its admission
   * chain. The first valid genesis seen for a room is pinned in the contact book; a different one
   * later, or none, admits nobody.
   */
  async trust(detail: RoomDetail, roomId: string): Promise<RoomTrust> {
    for (const m of detail.members) this.directory.remember({ userId: m.id, username: m.username, publicKeys: m.publicKeys });
    const me = this.me().id;
    const pin = await this.store.roomPin(me, roomId);
    const genesis = detail.genesis ?? null;
    if (!genesis) return pin ? this.changed(roomId) : { genesis: 'none', chain: new Map() };
    const digest = await this.crypto.genesisDigest(genesis);
    if (pin && pin !== digest) return this.changed(roomId);
    const chain = await this.crypto.admissionChain({
      roomId,
      genesis,
      admissions: detail.admissions ?? [],
      keysOf: (userId) =>
        this.directory.lookup(userId).then(
          (entry) => entry.publicKeys,
          () => undefined,
        ),
    });
    // Only a genesis that verifies for this room is pinned: a bogus one admits nobody but binds nothing.
    if (!pin && chain.has(genesis.creatorId)) await this.store.pinRoom(me, roomId, digest);
    this.setTampered(roomId, false);
    return { genesis: 'signed', chain };
  }

  /** trust() for a room known by id (key boxes, announcements): fresh from the server. */
  async roomTrust(roomId: string): Promise<RoomTrust> {
    const room = await this.roomById(roomId);
    if (!room) return { genesis: 'changed', chain: new Map() };
    return this.trust(await this.api.room(room.code), roomId);
  }

  /** A room of this user by id, from the rooms this browser knows, else from the server's list of the user's rooms. */
  async roomById(roomId: string): Promise<RoomRef | undefined> {
    const known = this.knownRooms().find((r) => r.id === roomId);
    if (known) return { id: known.id, code: known.code };
    const mine = (await this.api.myRooms().catch(() => [])).find((r) => r.id === roomId);
    return mine ? { id: mine.id, code: mine.code } : undefined;
  }

  private changed(roomId: string): RoomTrust {
    this.setTampered(roomId, true);
    return { genesis: 'changed', chain: new Map() };
  }

  private setTampered(roomId: string, tampered: boolean): void {
    if (this.tampered().has(roomId) === tampered) return;
    const next = new Set(this.tampered());
    if (tampered) next.add(roomId);
    else next.delete(roomId);
    this.tampered.set(next);
  }

  /**
   * Who this browser may wrap the room's key to, fresh from the server: admitted members only, to the
   * keys their admission names (admittedMembers checked the current keys against it), and never to a
   * key the contact book knows as changed (docs/protocol.md §8.2).
   */
  async keyAudience(room: RoomRef): Promise<KeyAudience> {
    const detail = await this.api.room(room.code);
    const admitted = await this.admitted(detail, room.id);
    const me = this.session.user()?.id;
    const members = detail.members.filter((m) => admitted.has(m.id));
    await this.contacts.observe(members.map(toEntry));
    const heldBack = members.filter((m) => m.id !== me && this.contacts.status(m.id)?.keyChanged).map((m) => m.id);
    this.heldBack.update((all) => ({ ...all, [room.id]: heldBack }));
    return {
      recipients: members.filter((m) => !heldBack.includes(m.id)).map((m) => ({ userId: m.id, publicKeys: m.publicKeys })),
      heldBack,
    };
  }

  /** Of the people the server names (a rotation's members, a key requester), those this browser may wrap to, with the keys to use. */
  async allowed(room: RoomRef, userIds: string[]): Promise<KeyRecipient[]> {
    const { recipients } = await this.keyAudience(room);
    return recipients.filter((r) => userIds.includes(r.userId));
  }

  /**
   * The owner opening a room without a genesis (a new room, or one made before v2) signs it, and
   * admits the current members ('upgrade') so the room keeps working.
   */
  async ensureGenesis(detail: RoomDetail): Promise<void> {
    if (detail.genesis || detail.role !== 'owner') return;
    // A room this user pinned a genesis for is never signed again: the server withholding it is tampering, not a new room.
    if (await this.store.roomPin(this.me().id, detail.id)) {
      this.setTampered(detail.id, true);
      return;
    }
    // A room entered twice at once (created during a reconnection) is signed once: the server accepts one genesis.
    let signing = this.signing.get(detail.id);
    if (!signing) {
      signing = this.signGenesis(detail).finally(() => this.signing.delete(detail.id));
      this.signing.set(detail.id, signing);
    }
    return signing;
  }

  private async signGenesis(detail: RoomDetail): Promise<void> {
    const me = this.me();
    const genesis = await this.crypto.signGenesis({ roomId: detail.id, creatorId: me.id, creatorKeys: me.publicKeys, creatorSig: me.sig });
    const admissions = await Promise.all(
      detail.members
        .filter((m) => m.id !== me.id)
        .map((m) => this.crypto.signAdmission({ roomId: detail.id, memberId: m.id, memberKeys: m.publicKeys, admitterId: me.id, via: 'upgrade', admitterSig: me.sig })),
    );
    await this.socket.request(CHAT_EVENTS.genesis, { roomId: detail.id, genesis, admissions });
    await this.store.pinRoom(me.id, detail.id, await this.crypto.genesisDigest(genesis));
  }

  /**
   * admission:requested (or a request waiting in RoomDetail.pending): a proof this browser can check
   * admits at once; anything else is shown for the user to decide.
   */
  async requested(incoming: JoinRequest): Promise<void> {
    const id = requestId(incoming);
    if (this.deciding.has(id) || this.shown().has(id)) return;
    // Shown and granted under the room this browser knows by id: a request naming another room's code is dropped.
    const room = await this.roomById(incoming.roomId);
    if (!room || room.code !== incoming.code) return console.warn(`Join request for ${incoming.code} ignored: not a room of yours under that id`);
    const request: JoinRequest = { ...incoming, code: room.code };
    if (this.deciding.has(id) || this.shown().has(id)) return;
    if (request.via === 'approval') return this.show(request);
    this.deciding.add(id);
    try {
      const verdict = await this.checkProof(request);
      if (verdict === 'valid') {
        try {
          await this.grant(request);
          return;
        } catch (err) {
          // Another member's browser admitted them first, or the server refused: a human can still decide.
          console.warn('Automatic admission failed:', err);
          return;
        }
      }
      this.show({
        ...request,
        note:
          verdict === 'invalid'
            ? `Their ${request.via === 'invite' ? 'invite link' : 'room password'} proof is wrong: admit only if you know this person.`
            : `This browser cannot check their ${request.via === 'invite' ? 'invite link' : 'room password'}: admit only if you know this person.`,
      });
    } finally {
      this.deciding.delete(id);
    }
  }

  /** Requests the server keeps for a room (RoomDetail.pending): the ones this browser has not seen yet. */
  async waiting(detail: RoomDetail): Promise<void> {
    const ids = new Set((detail.pending ?? []).map(requestId));
    // Decided elsewhere while this browser was away: no longer asked.
    this.shown.update((all) => new Map([...all].filter(([id, r]) => r.roomId !== detail.id || ids.has(id))));
    await Promise.all((detail.pending ?? []).map((r) => this.requested(r)));
  }

  /** The user admits a person after comparing the safety number. */
  async admit(request: JoinRequest): Promise<void> {
    const id = requestId(request);
    if (this.deciding.has(id)) return;
    this.deciding.add(id);
    try {
      await this.grant(request);
    } finally {
      this.deciding.delete(id);
    }
  }

  async decline(request: JoinRequest): Promise<void> {
    await this.socket.request(CHAT_EVENTS.admissionDecline, { roomId: request.roomId, userId: request.userId });
    this.forget(request.roomId, request.userId);
  }

  /** admission:resolved: someone decided (here or elsewhere); the request is no longer shown. */
  resolved(notice: AdmissionResolved): void {
    this.forget(notice.roomId, notice.userId);
    this.resolutions.update((n) => n + 1);
  }

  /** A room left, or signed out. */
  clear(roomId?: string): void {
    this.shown.update((all) => new Map([...all].filter(([, r]) => roomId !== undefined && r.roomId !== roomId)));
    if (!roomId) this.heldBack.set({});
  }

  private async grant(request: JoinRequest): Promise<void> {
    const me = this.me();
    const admission = await this.crypto.signAdmission({
      roomId: request.roomId,
      memberId: request.userId,
      // The keys the user compared (the safety number) or the proof covers: boxes go only to these.
      memberKeys: request.publicKeys,
      admitterId: me.id,
      via: request.via,
      admitterSig: me.sig,
    });
    await this.socket.request(CHAT_EVENTS.admissionGrant, { roomId: request.roomId, admission });
    this.forget(request.roomId, request.userId);
  }

  /** Opens the request's sealed verifier with an epoch key this browser holds and checks the joiner's proof. */
  private async checkProof(request: JoinRequest): Promise<ProofVerdict> {
    const verifierId = request.via === 'invite' ? request.inviteId : PASSWORD_VERIFIER_ID;
    if (!request.proof || !request.sealed || !verifierId) return 'invalid';
    if (!this.keys.key(request.roomId, request.sealed.epoch)) await this.keys.refresh(request.roomId).catch(() => undefined);
    const epochKey = this.keys.key(request.roomId, request.sealed.epoch);
    if (!epochKey) return 'unchecked';
    try {
      const verifier = await this.crypto.openVerifier({ roomId: request.roomId, verifierId, sealed: request.sealed, epochKey });
      const subject = { code: request.code, joinerId: request.userId, joinerKeys: request.publicKeys };
      return (await this.crypto.checkJoinProof(verifier, subject, request.proof)) ? 'valid' : 'invalid';
    } catch {
      return 'invalid';
    }
  }

  private show(request: ShownRequest): void {
    this.shown.update((all) => new Map(all).set(requestId(request), request));
  }

  private forget(roomId: string, userId: string): void {
    const id = `${roomId}/${userId}`;
    if (this.shown().has(id)) this.shown.update((all) => new Map([...all].filter(([key]) => key !== id)));
  }

  private me(): { id: string; publicKeys: PublicKeys; sig: CryptoKey } {
    const user = this.session.user();
    const keys = this.session.keys();
    if (!user || !keys) throw new Error('Not signed in');
    return { id: user.id, publicKeys: user.publicKeys, sig: keys.sig };
  }
}

function requestId(request: { roomId: string; userId: string }): string {
  return `${request.roomId}/${request.userId}`;
}

function toEntry(m: RoomMember) {
  return { userId: m.id, username: m.username, publicKeys: m.publicKeys };
}
