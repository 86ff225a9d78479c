import { exportPublicKeys, fingerprint, formatSafetyNumber, generateIdentity, InvalidInputError, safetyNumber } from '@conclave/crypto';
import { vectors } from './support.js';

const { alice, bob } = vectors.identities;

describe('fingerprints and safety numbers', () => {
  it('gives each user 30 digits and each pair 60, the same seen from either side', async () => {
    expect(await fingerprint(alice)).toMatch(/^\d{30}$/);
    const fromAlice = await safetyNumber(alice, bob);
    const fromBob = await safetyNumber(bob, alice);
    expect(fromAlice).toMatch(/^\d{60}$/);
    expect(fromBob).toBe(fromAlice);
  });

  it('shows the safety number as 12 groups of 5 digits', async () => {
    const groups = formatSafetyNumber(await safetyNumber(alice, bob));
    expect(groups).toHaveLength(12);
    expect(groups.every((g) => /^\d{5}$/.test(g))).toBe(true);
  });

  it('changes when either user’s keys change, or when the keys are claimed by another user id', async () => {
    const before = await safetyNumber(alice, bob);
    const other = await exportPublicKeys(await generateIdentity());
    expect(await safetyNumber({ ...alice, publicKeys: { ...alice.publicKeys, sig: other.sig } }, bob)).not.toBe(before);
    expect(await safetyNumber(alice, { ...bob, publicKeys: { ...bob.publicKeys, enc: other.enc } })).not.toBe(before);
    expect(await fingerprint({ ...alice, userId: bob.userId })).not.toBe(await fingerprint(alice));
  });

  it('refuses malformed keys with a typed error', async () => {
    await expect(fingerprint({ userId: alice.userId, publicKeys: { enc: '***', sig: alice.publicKeys.sig } })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
