import type { Admission, AdmissionVia, PublicKeys, RoomGenesis } from '@conclave/contracts';
import { memberKeysDigest, verifyAdmission, verifyGenesis } from './membership.js';

export interface AdmittedMembersInput {
  /** The room the caller is computing for: a genesis (and admissions) of another room admit nobody here. */
  roomId: string;
  /** The room's genesis; none (a room made before v2, or withheld) means nobody is admitted. */
  genesis: RoomGenesis | null | undefined;
  admissions: readonly Admission[];
  /** The room's current members as the server reports them, with their directory keys. */
  members: ReadonlyArray<{ userId: string; publicKeys: PublicKeys }>;
  /** A user's directory keys (also for admitters who have left); undefined when unknown. */
  keysOf: (userId: string) => Promise<PublicKeys | undefined>;
}

export interface AdmittedMember {
  /** memberKeysDigest of the keys the chain admitted: the only keys to wrap boxes to. */
  keys: string;
  via: AdmissionVia | 'genesis';
  /** Who signed the admission (absent for the genesis creator). */
  admitterId?: string;
}

/**
 * The admitted set (docs/protocol.md, "Membership"): the current members reached by a chain of
 * valid signatures from the room's genesis. The genesis creator starts the chain; an admission adds
 * its member when it verifies under an admitter already in the chain, for that admitter's current
 * keys. An admission stays valid after its admitter left. An admission counts only for the keys the
 * member holds now (a member with new keys waits for a new admission), and members the server no
 * longer lists drop out (the server may exclude, never include). Admissions that do not verify, name
 * another room, or hang off no chain (self-admissions, cycles) are ignored.
 */
export async function admittedMembers(input: AdmittedMembersInput): Promise<Map<string, AdmittedMember>> {
  const admitted = new Map<string, AdmittedMember>();
  const chain = await admissionChain(input);
  for (const { userId, publicKeys } of input.members ?? []) {
    const link = chain.get(userId);
    if (!link) continue;
    const digest = await memberKeysDigest(userId, publicKeys).catch(() => undefined);
    if (digest === link.keys) admitted.set(userId, link);
  }
  return admitted;
}

/**
 * The admission chain of a room (docs/protocol.md §7): every user reached by valid signatures from
 * its genesis, current members or not (admitters and members who left stay in it), each with the
 * digest of the keys the chain admitted. The admitted set is its restriction to the current members
 * whose keys still match; the chain alone says whether someone ever belonged to the room, e.g. a
 * key box's sharer or an epoch's maker. `members` is not used here.
 */
export async function admissionChain(input: Omit<AdmittedMembersInput, 'members'> & Partial<Pick<AdmittedMembersInput, 'members'>>): Promise<Map<string, AdmittedMember>> {
  const chain = new Map<string, AdmittedMember>();
  const { genesis } = input;
  // A genesis is only valid for its own room: otherwise a server could present another room of the
  // same creator, with that room's admissions, as this one.
  if (!genesis || genesis.roomId !== input.roomId) return chain;

  const keysCache = new Map<string, Promise<{ keys: PublicKeys; digest: string } | undefined>>();
  const currentKeys = (userId: string) => {
    let entry = keysCache.get(userId);
    if (!entry) {
      entry = (async () => {
        const keys = await input.keysOf(userId);
        return keys ? { keys, digest: await memberKeysDigest(userId, keys) } : undefined;
      })().catch(() => undefined);
      keysCache.set(userId, entry);
    }
    return entry;
  };

  const creator = await currentKeys(genesis.creatorId);
  if (!creator || !(await succeeds(verifyGenesis(genesis, creator.keys)))) return chain;
  chain.set(genesis.creatorId, { keys: genesis.creatorKeys, via: 'genesis' });

  let waiting = (input.admissions ?? []).filter((a) => a?.roomId === genesis.roomId);
  for (let progress = true; progress; ) {
    progress = false;
    const next: Admission[] = [];
    for (const admission of waiting) {
      if (chain.has(admission.memberId)) continue;
      if (!chain.has(admission.admitterId)) {
        next.push(admission); // its admitter may join the chain later in this pass or the next
        continue;
      }
      // Only an admission of the member's current keys enters the chain (as the genesis, for the
      // creator's), so every admitter in it signs with the keys the chain admitted.
      const [admitter, member] = await Promise.all([currentKeys(admission.admitterId), currentKeys(admission.memberId)]);
      if (!admitter || !member || member.digest !== admission.memberKeys) continue;
      if (!(await succeeds(verifyAdmission(admission, admitter.keys)))) continue;
      chain.set(admission.memberId, { keys: admission.memberKeys, via: admission.via, admitterId: admission.admitterId });
      progress = true;
    }
    waiting = next;
  }
  return chain;
}

const succeeds = (check: Promise<void>) => check.then(
  () => true,
  () => false,
);
