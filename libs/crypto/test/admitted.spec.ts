import type { Admission, AdmissionVia, PublicKeys, RoomGenesis } from '@conclave/contracts';
import { admissionChain, admittedMembers, memberKeysDigest, signAdmission, signGenesis } from '@conclave/crypto';
import { vectors } from './support.js';

/**
 * The admitted set a browser computes from what the server reports (docs/protocol.md, "Membership"):
 * only a chain of valid signatures from the genesis admits anyone.
 */
const ROOM = 'a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d';

interface Person {
  userId: string;
  publicKeys: PublicKeys;
  sig: CryptoKey;
}

// A fresh P-256 pair is all the chain needs; the enc half only enters the key digest.
async function person(userId: string): Promise<Person> {
  const pair = await globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const sigSpki = Buffer.from(await globalThis.crypto.subtle.exportKey('spki', pair.publicKey)).toString('base64');
  return { userId, publicKeys: { enc: vectors.identities.alice.publicKeys.enc, sig: sigSpki }, sig: pair.privateKey };
}

let alice: Person, bob: Person, carol: Person, dave: Person, eve: Person, frank: Person;
let genesis: RoomGenesis;

beforeAll(async () => {
  [alice, bob, carol, dave, eve, frank] = await Promise.all(['alice', 'bob', 'carol', 'dave', 'eve', 'frank'].map(person));
  genesis = await signGenesis({ roomId: ROOM, creatorId: alice.userId, creatorKeys: alice.publicKeys, creatorSig: alice.sig });
});

const admit = (member: Person, admitter: Person, via: AdmissionVia = 'approval', roomId = ROOM) =>
  signAdmission({ roomId, memberId: member.userId, memberKeys: member.publicKeys, admitterId: admitter.userId, via, admittedAt: 1_795_366_800_000, admitterSig: admitter.sig });

/** What the server reports: members with their keys, and a directory that knows everyone (also those who left). */
function room(members: Person[], directory: Person[] = [alice, bob, carol, dave, eve, frank]) {
  const keys = new Map(directory.map((p) => [p.userId, p.publicKeys]));
  return {
    members: members.map(({ userId, publicKeys }) => ({ userId, publicKeys })),
    keysOf: async (userId: string) => keys.get(userId),
  };
}

const ids = (map: Map<string, unknown>) => [...map.keys()].sort();

describe('admittedMembers', () => {
  it('follows a chain of admissions from the genesis, in any order', async () => {
    const admissions = [await admit(dave, carol, 'password'), await admit(carol, bob, 'invite'), await admit(bob, alice)];
    const admitted = await admittedMembers({ roomId: ROOM, genesis, admissions, ...room([alice, bob, carol, dave]) });
    expect(admitted).toEqual(
      new Map([
        [alice.userId, { keys: genesis.creatorKeys, via: 'genesis' }],
        [bob.userId, { keys: await memberKeysDigest(bob.userId, bob.publicKeys), via: 'approval', admitterId: alice.userId }],
        [carol.userId, { keys: await memberKeysDigest(carol.userId, carol.publicKeys), via: 'invite', admitterId: bob.userId }],
        [dave.userId, { keys: await memberKeysDigest(dave.userId, dave.publicKeys), via: 'password', admitterId: carol.userId }],
      ]),
    );
  });

  it('keeps an admission valid after its admitter left, and drops members the server no longer lists', async () => {
    const admissions = [await admit(bob, alice), await admit(carol, bob)];
    const admitted = await admittedMembers({ roomId: ROOM, genesis, admissions, ...room([alice, carol]) });
    expect(ids(admitted)).toEqual([alice.userId, carol.userId].sort());
    // the creator too may leave; the chain still starts at the genesis
    expect(ids(await admittedMembers({ roomId: ROOM, genesis, admissions, ...room([carol]) }))).toEqual([carol.userId]);
  });

  it('ignores a forged or altered admission, and one for another room', async () => {
    const forged = { ...(await admit(eve, eve)), admitterId: alice.userId }; // eve signs in alice's name
    const altered = { ...(await admit(bob, alice)), memberId: frank.userId, memberKeys: await memberKeysDigest(frank.userId, frank.publicKeys) };
    const elsewhere = await admit(dave, alice, 'approval', 'c3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d');
    const admitted = await admittedMembers({ roomId: ROOM, genesis, admissions: [forged, altered, elsewhere], ...room([alice, eve, frank, dave]) });
    expect(ids(admitted)).toEqual([alice.userId]);
  });

  it('excludes a member whose keys changed until a member admits the new keys, and what they admitted with the old ones', async () => {
    const admissions = [await admit(bob, alice), await admit(carol, bob)];
    const bobAgain = await person(bob.userId); // a reset identity: same user, new keys (and a new private key)
    const others = [alice, carol, dave, eve, frank];
    const changed = await admittedMembers({ roomId: ROOM, genesis, admissions, ...room([alice, bobAgain, carol], [...others, bobAgain]) });
    expect(ids(changed)).toEqual([alice.userId]);

    const readmitted = await admittedMembers({ roomId: ROOM, genesis, admissions: [...admissions, await admit(bobAgain, alice)], ...room([alice, bobAgain, carol], [...others, bobAgain]) });
    // bob is back under his new keys; carol's admission was signed with bob's old key, so she needs a new one
    expect(ids(readmitted)).toEqual([alice.userId, bob.userId].sort());
    expect(readmitted.get(bob.userId)?.keys).toBe(await memberKeysDigest(bob.userId, bobAgain.publicKeys));
  });

  it('excludes a member listed with other keys than the directory holds for the admission', async () => {
    const admissions = [await admit(bob, alice)];
    const swapped = room([alice, { ...bob, publicKeys: eve.publicKeys }]);
    expect(ids(await admittedMembers({ roomId: ROOM, genesis, admissions, ...swapped }))).toEqual([alice.userId]);
  });

  it('admits nobody without a valid genesis', async () => {
    const admissions = [await admit(bob, alice)];
    expect((await admittedMembers({ roomId: ROOM, genesis: undefined, admissions, ...room([alice, bob]) })).size).toBe(0);
    expect((await admittedMembers({ roomId: ROOM, genesis: null, admissions, ...room([alice, bob]) })).size).toBe(0);
    const forgedGenesis = await signGenesis({ roomId: ROOM, creatorId: alice.userId, creatorKeys: alice.publicKeys, creatorSig: eve.sig });
    expect((await admittedMembers({ roomId: ROOM, genesis: forgedGenesis, admissions, ...room([alice, bob]) })).size).toBe(0);
    // the creator's keys unknown to the directory: nothing to verify against
    expect((await admittedMembers({ roomId: ROOM, genesis, admissions, ...room([alice, bob], [bob]) })).size).toBe(0);
  });

  it('admits nobody from the genesis and admissions of another room, even of the same creator', async () => {
    const otherRoom = 'd3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d';
    const otherGenesis = await signGenesis({ roomId: otherRoom, creatorId: alice.userId, creatorKeys: alice.publicKeys, creatorSig: alice.sig });
    const admissions = [await admit(eve, alice, 'approval', otherRoom)];
    expect((await admittedMembers({ roomId: ROOM, genesis: otherGenesis, admissions, ...room([alice, eve]) })).size).toBe(0);
    expect(ids(await admittedMembers({ roomId: otherRoom, genesis: otherGenesis, admissions, ...room([alice, eve]) }))).toEqual([alice.userId, eve.userId].sort());
  });

  it('excludes self-admissions and cycles that hang off no chain', async () => {
    const admissions = [await admit(eve, eve), await admit(eve, frank), await admit(frank, eve), await admit(bob, alice)];
    const admitted = await admittedMembers({ roomId: ROOM, genesis, admissions, ...room([alice, bob, eve, frank]) });
    expect(ids(admitted)).toEqual([alice.userId, bob.userId].sort());
  });

  it('excludes a member the server lists but nobody admitted (a row inserted by the server)', async () => {
    const admitted = await admittedMembers({ roomId: ROOM, genesis, admissions: [await admit(bob, alice)], ...room([alice, bob, eve]) });
    expect(admitted.has(eve.userId)).toBe(false);
  });

  it('survives malformed admissions and a failing directory without throwing', async () => {
    const junk = [null, {}, { ...(await admit(bob, alice)), sig: 'not base64!' }, { ...(await admit(carol, alice)), via: 'bribe' }] as unknown as Admission[];
    const failing = { ...room([alice, bob, carol]), keysOf: async (userId: string) => (userId === alice.userId ? alice.publicKeys : Promise.reject(new Error('offline'))) };
    expect(ids(await admittedMembers({ roomId: ROOM, genesis, admissions: junk, ...failing }))).toEqual([alice.userId]);
  });
});

describe('admissionChain', () => {
  it('holds everyone the chain ever admitted, members or not, and nobody else', async () => {
    const admissions = [await admit(bob, alice), await admit(carol, bob), await admit(eve, eve)];
    const chain = await admissionChain({ roomId: ROOM, genesis, admissions, ...room([carol]) });
    expect(ids(chain)).toEqual([alice.userId, bob.userId, carol.userId].sort());
    expect(chain.get(bob.userId)).toEqual({ keys: await memberKeysDigest(bob.userId, bob.publicKeys), via: 'approval', admitterId: alice.userId });
    // without a genesis for this room, nobody
    expect((await admissionChain({ roomId: 'c3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d', genesis, admissions, ...room([carol]) })).size).toBe(0);
    expect((await admissionChain({ roomId: ROOM, genesis: null, admissions, ...room([carol]) })).size).toBe(0);
  });
});
