/**
 * Membership the server cannot forge (docs/protocol.md, "Membership"): signed genesis, signed
 * admissions, invites, join requests and signed epoch announcements. Made and checked by
 * libs/crypto; the server verifies every signature on arrival, stores and routes them, and can make
 * none of them.
 */
import type { PublicKeys } from './e2e.js';

/** How a member was admitted: approved by a member, by an invite link's proof, by the room password's proof, or carried over from a room made before v2. */
export type AdmissionVia = 'approval' | 'invite' | 'password' | 'upgrade';
export const ADMISSION_VIAS: readonly AdmissionVia[] = ['approval', 'invite', 'password', 'upgrade'];

/**
 * The room's root of trust, signed by its creator once (at creation, or by the owner when a room
 * made before v2 is first opened):
 * sig = ECDSA(creator.sig, canonical("conclave/v1/room", roomId, creatorId, creatorKeys)).
 */
export interface RoomGenesis {
  roomId: string;
  creatorId: string;
  /** memberKeysDigest(creatorId, creator's public keys): base64 of 32 bytes. */
  creatorKeys: string;
  /** ECDSA P-256/SHA-256, 64 bytes r‖s, base64. */
  sig: string;
}

/**
 * One member's admission, signed by an admitted member:
 * sig = ECDSA(admitter.sig, canonical("conclave/v1/admit", roomId, memberId, memberKeys, admitterId, via, admittedAt)).
 */
export interface Admission {
  roomId: string;
  memberId: string;
  /** memberKeysDigest(memberId, member's public keys): the keys boxes may be wrapped to. */
  memberKeys: string;
  admitterId: string;
  via: AdmissionVia;
  /** The admitter's clock, milliseconds since 1970 (UTC). */
  admittedAt: number;
  sig: string;
}

/**
 * An epoch's key commitment, signed by its maker (an admitted member):
 * commit = HMAC-SHA256(epochKey, canonical("conclave/v1/epoch-commit", roomId, epoch)),
 * sig = ECDSA(maker.sig, canonical("conclave/v1/epoch", roomId, epoch, makerId, commit)).
 * A browser uses an unwrapped epoch key only if it matches the commit.
 */
export interface EpochAnnouncement {
  roomId: string;
  epoch: number;
  makerId: string;
  /** 32 bytes, base64. */
  commit: string;
  sig: string;
}

/**
 * A verifier key (an invite's, or the room password's admitKey) sealed under an epoch key so any
 * member holding that epoch can check join proofs: AES-256-GCM, AAD
 * canonical("conclave/v1/verifier", roomId, epoch, verifierId).
 */
export interface SealedVerifier {
  epoch: number;
  /** 12 bytes, base64. */
  iv: string;
  /** The 32-byte verifier key encrypted, with its 16-byte tag: 48 bytes, base64. */
  ct: string;
}

/** The verifierId of the room password's sealed admitKey (an invite's is its id). */
export const PASSWORD_VERIFIER_ID = 'password';

/** What the joiner proves with an invite's or the password's verifier key: HMAC-SHA256 over canonical("conclave/v1/join", code, joinerId, memberKeysDigest(joiner)), base64 of 32 bytes. */
export type JoinProof = string;

/** POST /api/rooms/:code/invites: a member creates an invite link https://HOST/join/CODE#SECRET. */
export interface CreateInviteRequest {
  /** inviteIdFromSecret(secret): 22 characters of base64url (16 bytes); the secret itself never reaches the server. */
  id: string;
  /** ISO 8601; at most INVITE_MAX_DAYS ahead. */
  expiresAt: string;
  /** 1..INVITE_MAX_USES joins. */
  maxUses: number;
  /** The invite's verifier key sealed under the room's current epoch (verifierId = the invite id). */
  sealed: SealedVerifier;
}

export interface InviteSummary {
  id: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  revoked: boolean;
}

export const INVITE_MAX_DAYS = 30;
export const INVITE_MAX_USES = 100;
/** Invites of one room that can still admit (not expired, revoked or used up): a member making more is refused (409). */
export const INVITES_PER_ROOM_MAX = 50;
/** An invite id: 16 bytes as unpadded base64url. */
export const INVITE_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** PUT /api/rooms/:code/password (owner): the room password as end-to-end secrets, never the password itself. */
export interface SetRoomPasswordRequest {
  /** deriveRoomPassword(password, code).joinKey: base64 of 32 bytes; the server stores bcrypt of it. */
  joinKey: string;
  /** The password's admitKey sealed under the current epoch (verifierId PASSWORD_VERIFIER_ID). */
  sealed: SealedVerifier;
}

/** A pending join as members see it (s→c 'admission:requested', and in RoomDetail.pending). */
export interface JoinRequest {
  roomId: string;
  code: string;
  userId: string;
  username: string;
  /** The joiner's directory keys: admit only these (their digest goes into the admission), after checking the safety number or the proof. */
  publicKeys: PublicKeys;
  /** 'approval': a code alone, a member decides; 'invite' / 'password': a proof a member's browser checks. */
  via: Exclude<AdmissionVia, 'upgrade'>;
  /** For 'invite': which invite. */
  inviteId?: string;
  /** For 'invite' and 'password'. */
  proof?: JoinProof;
  /** For 'invite' and 'password': the verifier to open (under an epoch the member holds) and check the proof with. */
  sealed?: SealedVerifier;
  requestedAt: string;
}

/** A room the caller asked to join and is not admitted to yet (GET /api/rooms/pending, and the join answer). */
export interface PendingRoom {
  code: string;
  name: string;
  via: Exclude<AdmissionVia, 'upgrade'>;
  requestedAt: string;
}

/** c→s 'room:genesis': the owner signs the room's genesis (a new room, or one made before v2) and admits its current members. */
export interface GenesisRequest {
  roomId: string;
  genesis: RoomGenesis;
  /** via 'upgrade' for every current member but the owner; empty for a new room. */
  admissions: Admission[];
}

/** c→s 'admission:grant' */
export interface GrantRequest {
  roomId: string;
  admission: Admission;
}

/** c→s 'admission:decline' */
export interface DeclineRequest {
  roomId: string;
  userId: string;
}

/** s→c 'admission:resolved': a join request was granted or declined (to the room's members and to the joiner). */
export interface AdmissionResolved {
  roomId: string;
  code: string;
  userId: string;
  outcome: 'admitted' | 'declined';
}
