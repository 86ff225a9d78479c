import { INVITE_ID_PATTERN, PASSWORD_VERIFIER_ID, type Admission, type EpochAnnouncement, type PublicKeys, type RoomGenesis } from '@conclave/contracts';
import {
  DecryptionError,
  InvalidInputError,
  SignatureError,
  announceEpoch,
  checkJoinProof,
  deriveRoomPassword,
  epochCommitment,
  generateEpochKey,
  inviteIdFromSecret,
  inviteVerifier,
  joinProof,
  keyMatchesCommitment,
  memberKeysDigest,
  newInviteSecret,
  openVerifier,
  sealVerifier,
  signAdmission,
  signGenesis,
  verifyAdmission,
  verifyEpochAnnouncement,
  verifyGenesis,
} from '@conclave/crypto';
import { flipBit, member, type Member } from './support.js';

const ROOM = 'a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d';
const OTHER_ROOM = 'b3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d';
let alice: Member;
let bob: Member;

beforeAll(async () => {
  [alice, bob] = await Promise.all([member('alice'), member('bob')]);
});

describe('memberKeysDigest', () => {
  it('is SHA-256 of one user and their keys: the same for the same pair, different for another user or other keys', async () => {
    const digest = await memberKeysDigest(alice.userId, alice.publicKeys);
    expect(Buffer.from(digest, 'base64')).toHaveLength(32);
    expect(await memberKeysDigest(alice.userId, alice.publicKeys)).toBe(digest);
    expect(await memberKeysDigest(bob.userId, alice.publicKeys)).not.toBe(digest);
    expect(await memberKeysDigest(alice.userId, bob.publicKeys)).not.toBe(digest);
    expect(await memberKeysDigest(alice.userId, { enc: alice.publicKeys.enc, sig: bob.publicKeys.sig })).not.toBe(digest);
  });

  it('refuses malformed keys or ids with a typed error', async () => {
    await expect(memberKeysDigest(alice.userId, { enc: 'not base64!', sig: alice.publicKeys.sig })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(memberKeysDigest('a|b', alice.publicKeys)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(memberKeysDigest(alice.userId, undefined as unknown as PublicKeys)).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('genesis', () => {
  const genesis = () => signGenesis({ roomId: ROOM, creatorId: alice.userId, creatorKeys: alice.publicKeys, creatorSig: alice.priv.sig });

  it('names the creator and their keys, and verifies under them', async () => {
    const g = await genesis();
    expect(g).toMatchObject({ roomId: ROOM, creatorId: alice.userId, creatorKeys: await memberKeysDigest(alice.userId, alice.publicKeys) });
    await expect(verifyGenesis(g, alice.publicKeys)).resolves.toBeUndefined();
  });

  it.each([
    ['roomId', (g: RoomGenesis) => ({ ...g, roomId: OTHER_ROOM })],
    ['creatorId', (g: RoomGenesis) => ({ ...g, creatorId: bob.userId })],
    ['creatorKeys', (g: RoomGenesis) => ({ ...g, creatorKeys: flipBit(g.creatorKeys) })],
    ['sig', (g: RoomGenesis) => ({ ...g, sig: flipBit(g.sig, 10) })],
  ])('fails when %s is altered', async (_field, alter) => {
    await expect(verifyGenesis(alter(await genesis()), alice.publicKeys)).rejects.toBeInstanceOf(SignatureError);
  });

  it('fails under other keys, and when signed by someone else in the creator’s name', async () => {
    await expect(verifyGenesis(await genesis(), bob.publicKeys)).rejects.toBeInstanceOf(SignatureError);
    const forged = await signGenesis({ roomId: ROOM, creatorId: alice.userId, creatorKeys: alice.publicKeys, creatorSig: bob.priv.sig });
    await expect(verifyGenesis(forged, alice.publicKeys)).rejects.toBeInstanceOf(SignatureError);
  });

  it('refuses a malformed genesis with a typed error', async () => {
    const g = await genesis();
    for (const bad of [null, { ...g, creatorKeys: 'AAAA' }, { ...g, sig: 'not base64!' }, { ...g, roomId: '' }]) {
      await expect(verifyGenesis(bad as unknown as RoomGenesis, alice.publicKeys)).rejects.toBeInstanceOf(InvalidInputError);
    }
  });
});

describe('admissions', () => {
  const admission = () =>
    signAdmission({ roomId: ROOM, memberId: bob.userId, memberKeys: bob.publicKeys, admitterId: alice.userId, via: 'invite', admittedAt: 1_795_366_800_000, admitterSig: alice.priv.sig });

  it('names the member’s keys and verifies under the admitter’s', async () => {
    const a = await admission();
    expect(a).toMatchObject({ roomId: ROOM, memberId: bob.userId, memberKeys: await memberKeysDigest(bob.userId, bob.publicKeys), admitterId: alice.userId, via: 'invite', admittedAt: 1_795_366_800_000 });
    await expect(verifyAdmission(a, alice.publicKeys)).resolves.toBeUndefined();
    await expect(verifyAdmission(a, bob.publicKeys)).rejects.toBeInstanceOf(SignatureError);
  });

  it('stamps the admitter’s clock unless given', async () => {
    const before = Date.now();
    const a = await signAdmission({ roomId: ROOM, memberId: bob.userId, memberKeys: bob.publicKeys, admitterId: alice.userId, via: 'approval', admitterSig: alice.priv.sig });
    expect(a.admittedAt).toBeGreaterThanOrEqual(before);
    expect(a.admittedAt).toBeLessThanOrEqual(Date.now());
  });

  it.each([
    ['roomId', (a: Admission) => ({ ...a, roomId: OTHER_ROOM })],
    ['memberId', (a: Admission) => ({ ...a, memberId: alice.userId })],
    ['memberKeys', (a: Admission) => ({ ...a, memberKeys: flipBit(a.memberKeys, 5) })],
    ['admitterId', (a: Admission) => ({ ...a, admitterId: bob.userId })],
    ['via', (a: Admission) => ({ ...a, via: 'approval' as const })],
    ['admittedAt', (a: Admission) => ({ ...a, admittedAt: a.admittedAt + 1 })],
    ['sig', (a: Admission) => ({ ...a, sig: flipBit(a.sig, 40) })],
  ])('fails when %s is altered', async (_field, alter) => {
    await expect(verifyAdmission(alter(await admission()), alice.publicKeys)).rejects.toBeInstanceOf(SignatureError);
  });

  it('refuses an unknown via or a bad time with a typed error, signing or verifying', async () => {
    const input = { roomId: ROOM, memberId: bob.userId, memberKeys: bob.publicKeys, admitterId: alice.userId, admitterSig: alice.priv.sig };
    await expect(signAdmission({ ...input, via: 'bribe' as 'approval' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(signAdmission({ ...input, via: 'approval', admittedAt: 1.5 })).rejects.toBeInstanceOf(InvalidInputError);
    const a = await admission();
    await expect(verifyAdmission({ ...a, via: 'bribe' as 'approval' }, alice.publicKeys)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(verifyAdmission({ ...a, admittedAt: '1' as unknown as number }, alice.publicKeys)).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('epoch commitment and announcement', () => {
  it('commits to one key for one room and epoch', async () => {
    const key = await generateEpochKey();
    const commit = await epochCommitment(key, ROOM, 2);
    expect(Buffer.from(commit, 'base64')).toHaveLength(32);
    expect(await epochCommitment(key, ROOM, 2)).toBe(commit);
    expect(await epochCommitment(key, ROOM, 3)).not.toBe(commit);
    expect(await epochCommitment(key, OTHER_ROOM, 2)).not.toBe(commit);
    expect(await epochCommitment(await generateEpochKey(), ROOM, 2)).not.toBe(commit);
  });

  it('is signed by its maker; a key matches only its own announcement', async () => {
    const key = await generateEpochKey();
    const announcement = await announceEpoch({ roomId: ROOM, epoch: 2, makerId: alice.userId, epochKey: key, makerSig: alice.priv.sig });
    expect(announcement).toMatchObject({ roomId: ROOM, epoch: 2, makerId: alice.userId, commit: await epochCommitment(key, ROOM, 2) });
    await expect(verifyEpochAnnouncement(announcement, alice.publicKeys)).resolves.toBeUndefined();
    await expect(verifyEpochAnnouncement(announcement, bob.publicKeys)).rejects.toBeInstanceOf(SignatureError);
    expect(await keyMatchesCommitment(key, announcement)).toBe(true);
    // a wrong key pinned on a joiner, or the right key presented for another epoch, does not match
    expect(await keyMatchesCommitment(await generateEpochKey(), announcement)).toBe(false);
    expect(await keyMatchesCommitment(key, { ...announcement, epoch: 3 })).toBe(false);
  });

  it.each([
    ['roomId', (a: EpochAnnouncement) => ({ ...a, roomId: OTHER_ROOM })],
    ['epoch', (a: EpochAnnouncement) => ({ ...a, epoch: 3 })],
    ['makerId', (a: EpochAnnouncement) => ({ ...a, makerId: bob.userId })],
    ['commit', (a: EpochAnnouncement) => ({ ...a, commit: flipBit(a.commit) })],
    ['sig', (a: EpochAnnouncement) => ({ ...a, sig: flipBit(a.sig, 3) })],
  ])('an announcement fails when %s is altered', async (_field, alter) => {
    const announcement = await announceEpoch({ roomId: ROOM, epoch: 2, makerId: alice.userId, epochKey: await generateEpochKey(), makerSig: alice.priv.sig });
    await expect(verifyEpochAnnouncement(alter(announcement), alice.publicKeys)).rejects.toBeInstanceOf(SignatureError);
  });

  it('needs an extractable epoch key (as every epoch key is) and a well-formed commit', async () => {
    const sealed = await globalThis.crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    await expect(epochCommitment(sealed, ROOM, 1)).rejects.toBeInstanceOf(InvalidInputError);
    const key = await generateEpochKey();
    const announcement = await announceEpoch({ roomId: ROOM, epoch: 1, makerId: alice.userId, epochKey: key, makerSig: alice.priv.sig });
    await expect(keyMatchesCommitment(key, { ...announcement, commit: 'AAAA' })).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('invites', () => {
  it('makes a 32-byte url-safe secret, a 22-character id and a 32-byte verifier from it', async () => {
    const secret = newInviteSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newInviteSecret()).not.toBe(secret);
    const id = await inviteIdFromSecret(secret);
    expect(id).toMatch(INVITE_ID_PATTERN);
    expect(await inviteIdFromSecret(secret)).toBe(id);
    const verifier = await inviteVerifier(secret);
    expect(verifier).toHaveLength(32);
    expect(Buffer.from(verifier).subarray(0, 16).toString('base64url')).not.toBe(id);
  });

  it('refuses a secret that is not 32 bytes of canonical base64url', async () => {
    const secret = newInviteSecret();
    for (const bad of [secret.slice(1), `${secret}=`, `${secret.slice(0, 42)}+`, secret.slice(0, 42) + 'B', '']) {
      await expect(inviteIdFromSecret(bad)).rejects.toBeInstanceOf(InvalidInputError);
    }
  });
});

describe('room password', () => {
  it('derives a joinKey and an admitKey that depend on the password and the room code', async () => {
    const keys = await deriveRoomPassword('amber lantern', 'K7QZ');
    expect(Buffer.from(keys.joinKey, 'base64')).toHaveLength(32);
    expect(keys.admitKey).toHaveLength(32);
    expect(Buffer.from(keys.admitKey).toString('base64')).not.toBe(keys.joinKey);
    expect((await deriveRoomPassword('amber lantern', 'k7qz')).joinKey).toBe(keys.joinKey);
    expect((await deriveRoomPassword('amber lanterN', 'K7QZ')).joinKey).not.toBe(keys.joinKey);
    expect((await deriveRoomPassword('amber lantern', 'K7QY')).joinKey).not.toBe(keys.joinKey);
  });

  it('normalises the password (NFKC) and refuses an empty one or a malformed code', async () => {
    expect((await deriveRoomPassword('ﬁre', 'K7QZ')).joinKey).toBe((await deriveRoomPassword('fire', 'K7QZ')).joinKey);
    await expect(deriveRoomPassword('', 'K7QZ')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(deriveRoomPassword('amber lantern', 'K7Q0')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(deriveRoomPassword('amber lantern', 'K7QZZ')).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('join proofs', () => {
  const request = () => ({ code: 'K7QZ', joinerId: bob.userId, joinerKeys: bob.publicKeys });

  it('checks for the verifier, code, joiner and keys it was made for', async () => {
    const verifier = await inviteVerifier(newInviteSecret());
    const proof = await joinProof(verifier, request());
    expect(Buffer.from(proof, 'base64')).toHaveLength(32);
    expect(await checkJoinProof(verifier, request(), proof)).toBe(true);
    expect(await checkJoinProof(verifier, { ...request(), code: 'k7qz' }, proof)).toBe(true);
  });

  it('fails for other keys (a relayed request with substituted keys), another joiner, another code or another verifier', async () => {
    const verifier = await inviteVerifier(newInviteSecret());
    const proof = await joinProof(verifier, request());
    expect(await checkJoinProof(verifier, { ...request(), joinerKeys: alice.publicKeys }, proof)).toBe(false);
    expect(await checkJoinProof(verifier, { ...request(), joinerId: alice.userId }, proof)).toBe(false);
    expect(await checkJoinProof(verifier, { ...request(), code: 'K7QY' }, proof)).toBe(false);
    expect(await checkJoinProof(await inviteVerifier(newInviteSecret()), request(), proof)).toBe(false);
    expect(await checkJoinProof(verifier, request(), flipBit(proof, 31))).toBe(false);
  });

  it('a wrong password’s admitKey gives a proof that fails', async () => {
    const right = await deriveRoomPassword('amber lantern', 'K7QZ');
    const wrong = await deriveRoomPassword('amber lanterns', 'K7QZ');
    expect(await checkJoinProof(right.admitKey, request(), await joinProof(wrong.admitKey, request()))).toBe(false);
    expect(await checkJoinProof(right.admitKey, request(), await joinProof(right.admitKey, request()))).toBe(true);
  });

  it('treats a malformed proof as invalid, and refuses a verifier of the wrong size', async () => {
    const verifier = await inviteVerifier(newInviteSecret());
    for (const bad of [undefined, '', 'not base64!', Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64')]) {
      expect(await checkJoinProof(verifier, request(), bad)).toBe(false);
    }
    await expect(joinProof(verifier.subarray(1), request())).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('sealed verifiers', () => {
  it('open for the room, epoch and verifier id they were sealed for', async () => {
    const epochKey = await generateEpochKey();
    const verifier = await inviteVerifier(newInviteSecret());
    const sealed = await sealVerifier({ roomId: ROOM, epoch: 4, epochKey, verifierId: 'QUJDREVGR0hJSktMTU5PUA', verifier });
    expect(sealed.epoch).toBe(4);
    expect(Buffer.from(sealed.ct, 'base64')).toHaveLength(48);
    expect(await openVerifier({ roomId: ROOM, verifierId: 'QUJDREVGR0hJSktMTU5PUA', sealed, epochKey })).toEqual(verifier);
    const again = await sealVerifier({ roomId: ROOM, epoch: 4, epochKey, verifierId: 'QUJDREVGR0hJSktMTU5PUA', verifier });
    expect(again.iv).not.toBe(sealed.iv);
  });

  it('do not open for another room, epoch, verifier id or epoch key, or when altered', async () => {
    const epochKey = await generateEpochKey();
    const { admitKey } = await deriveRoomPassword('amber lantern', 'K7QZ');
    const sealed = await sealVerifier({ roomId: ROOM, epoch: 4, epochKey, verifierId: PASSWORD_VERIFIER_ID, verifier: admitKey });
    const open = (overrides: object) => openVerifier({ roomId: ROOM, verifierId: PASSWORD_VERIFIER_ID, sealed, epochKey, ...overrides });
    await expect(open({})).resolves.toEqual(admitKey);
    await expect(open({ roomId: OTHER_ROOM })).rejects.toBeInstanceOf(DecryptionError);
    await expect(open({ sealed: { ...sealed, epoch: 5 } })).rejects.toBeInstanceOf(DecryptionError);
    await expect(open({ verifierId: 'QUJDREVGR0hJSktMTU5PUA' })).rejects.toBeInstanceOf(DecryptionError);
    await expect(open({ epochKey: await generateEpochKey() })).rejects.toBeInstanceOf(DecryptionError);
    await expect(open({ sealed: { ...sealed, ct: flipBit(sealed.ct, 20) } })).rejects.toBeInstanceOf(DecryptionError);
    await expect(open({ sealed: { ...sealed, iv: flipBit(sealed.iv) } })).rejects.toBeInstanceOf(DecryptionError);
  });

  it('refuse malformed input with a typed error', async () => {
    const epochKey = await generateEpochKey();
    await expect(sealVerifier({ roomId: ROOM, epoch: 1, epochKey, verifierId: 'x', verifier: new Uint8Array(16) })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(sealVerifier({ roomId: ROOM, epoch: 0, epochKey, verifierId: 'x', verifier: new Uint8Array(32) })).rejects.toBeInstanceOf(InvalidInputError);
    const sealed = await sealVerifier({ roomId: ROOM, epoch: 1, epochKey, verifierId: 'x', verifier: new Uint8Array(32) });
    for (const bad of [null, { ...sealed, iv: 'AAAA' }, { ...sealed, ct: 'AAAA' }, { ...sealed, epoch: 'one' }]) {
      await expect(openVerifier({ roomId: ROOM, verifierId: 'x', sealed: bad as never, epochKey })).rejects.toBeInstanceOf(InvalidInputError);
    }
  });
});
