import type { Admission, EpochAnnouncement, FileDescriptor, KeyBackup, KeyBox, MessageEnvelope, PublicKeys, RoomGenesis, SealedVerifier, TextContent } from '@conclave/contracts';
import { PASSWORD_VERIFIER_ID } from '@conclave/contracts';
import { epochCommitment, keyMatchesCommitment, verifyEpochAnnouncement } from './epoch.js';
import { inviteIdFromSecret, inviteVerifier } from './invite.js';
import { memberKeysDigest, verifyAdmission, verifyGenesis } from './membership.js';
import { deriveRoomPassword } from './room-password.js';
import { checkJoinProof, joinProof, openVerifier, sealVerifierWithIv } from './verifier.js';
import { equalBytes, fromBase64, toBase64, utf8 } from './encoding.js';
import { decryptFile, encryptFileWith } from './file.js';
import { fingerprint, safetyNumber } from './fingerprint.js';
import { importPublicKeys, openKeyBackup, sealPkcs8Backup } from './identity.js';
import { openKeyBox } from './keybox.js';
import { decryptMessage, encryptMessageWithIv } from './message.js';
import { deriveAccountKeys } from './password.js';
import { subtle } from './webcrypto.js';

interface VectorIdentity {
  userId: string;
  publicKeys: PublicKeys;
  /** PKCS#8 DER, base64. Test material only. */
  privateKeys: { enc: string; sig: string };
}

/** The shape of libs/crypto/test-vectors.json (documented field by field in README.md). */
export interface TestVectors {
  protocol: 'conclave/v1';
  identities: { alice: VectorIdentity; bob: VectorIdentity };
  derivation: { username: string; password: string; authKey: string; backup: KeyBackup };
  keyBox: { box: KeyBox; epochKey: string };
  message: { senderId: string; epochKey: string; content: TextContent; envelope: MessageEnvelope };
  file: { name: string; roomId: string; fileId: string; plaintext: string; key: string; iv: string; ciphertext: string; descriptor: FileDescriptor };
  fingerprints: { alice: string; bob: string; safetyNumber: string };
  /** memberKeysDigest of each identity. */
  memberKeys: { alice: string; bob: string };
  /** alice's genesis of the room of keyBox and message. */
  genesis: RoomGenesis;
  /** bob admitted by alice (via invite). */
  admission: Admission;
  /** Epoch 1 of that room (the keyBox's key) announced by alice. */
  epoch: { epochKey: string; announcement: EpochAnnouncement };
  /** An invite: its secret (the link fragment), id, verifier key (base64), the verifier sealed under epoch 1, and bob's join proof. */
  invite: { secret: string; id: string; verifier: string; sealed: SealedVerifier; proof: string };
  /** A room password: the derived joinKey and admitKey (base64), admitKey sealed under epoch 1, and bob's join proof. */
  roomPassword: { password: string; code: string; joinKey: string; admitKey: string; sealed: SealedVerifier; proof: string };
}

/**
 * Recomputes every vector with this implementation; returns what differs (empty: all match). Runs
 * unchanged in Node and in browsers, so any client can be checked against the same bytes.
 */
export async function checkTestVectors(v: TestVectors): Promise<string[]> {
  const failures: string[] = [];
  const check = async (name: string, test: () => Promise<boolean>) => {
    try {
      if (!(await test())) failures.push(`${name}: mismatch`);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).name}: ${(err as Error).message}`);
    }
  };
  const wc = subtle();
  const { alice, bob } = v.identities;
  const aes = (raw: string, extractable = false) => wc.importKey('raw', fromBase64(raw, 'key'), 'AES-GCM', extractable, ['encrypt', 'decrypt']);
  const privateOf = async (who: VectorIdentity) => ({
    enc: await wc.importKey('pkcs8', fromBase64(who.privateKeys.enc, 'enc'), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt', 'unwrapKey']),
    sig: await wc.importKey('pkcs8', fromBase64(who.privateKeys.sig, 'sig'), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']),
  });

  const { authKey, wrapKey } = await deriveAccountKeys(v.derivation.password, v.derivation.username);
  await check('derivation.authKey', async () => authKey === v.derivation.authKey);
  await check('derivation.backup (sealed)', async () => {
    const pkcs8 = { enc: fromBase64(alice.privateKeys.enc, 'enc'), sig: fromBase64(alice.privateKeys.sig, 'sig') };
    const sealed = await sealPkcs8Backup(pkcs8, wrapKey, alice.userId, fromBase64(v.derivation.backup.iv, 'iv'));
    return sealed.ct === v.derivation.backup.ct;
  });
  await check('derivation.backup (opened)', async () => {
    const opened = await openKeyBackup(v.derivation.backup, wrapKey, alice.userId);
    const probe = utf8('conclave vector probe');
    const signature = await wc.sign({ name: 'ECDSA', hash: 'SHA-256' }, opened.sig, probe);
    return wc.verify({ name: 'ECDSA', hash: 'SHA-256' }, (await importPublicKeys(alice.publicKeys)).sig, signature, probe);
  });

  await check('keyBox', async () => {
    const epochKey = await openKeyBox(v.keyBox.box, {
      recipientId: bob.userId,
      recipientEnc: (await privateOf(bob)).enc,
      sharerSig: (await importPublicKeys(alice.publicKeys)).sig,
    });
    return toBase64(await wc.exportKey('raw', epochKey)) === v.keyBox.epochKey;
  });

  const epochKey = await aes(v.message.epochKey);
  await check('message (encrypted)', async () => {
    const { envelope } = v.message;
    const fresh = await encryptMessageWithIv(
      { roomId: envelope.roomId, senderId: v.message.senderId, epoch: envelope.epoch, clientMsgId: envelope.clientMsgId, epochKey, senderSig: (await privateOf(alice)).sig, content: v.message.content },
      fromBase64(envelope.iv, 'iv'),
    );
    return fresh.ct === envelope.ct;
  });
  await check('message (verified and decrypted)', async () => {
    const content = await decryptMessage({ ...v.message.envelope, senderId: v.message.senderId }, { epochKey, senderSig: (await importPublicKeys(alice.publicKeys)).sig });
    return JSON.stringify(content) === JSON.stringify(v.message.content);
  });

  await check('file (encrypted)', async () => {
    const { ciphertext, descriptor } = await encryptFileWith(
      fromBase64(v.file.plaintext, 'plaintext'),
      v.file.name,
      { roomId: v.file.roomId, fileId: v.file.fileId },
      await aes(v.file.key, true),
      fromBase64(v.file.iv, 'iv'),
    );
    return toBase64(ciphertext) === v.file.ciphertext && JSON.stringify(descriptor) === JSON.stringify(v.file.descriptor);
  });
  await check('file (decrypted)', async () => {
    const plaintext = await decryptFile(fromBase64(v.file.ciphertext, 'ciphertext'), v.file.descriptor, { roomId: v.file.roomId, fileId: v.file.fileId });
    return equalBytes(plaintext, fromBase64(v.file.plaintext, 'plaintext'));
  });

  await check('fingerprints.alice', async () => (await fingerprint(alice)) === v.fingerprints.alice);
  await check('fingerprints.bob', async () => (await fingerprint(bob)) === v.fingerprints.bob);
  await check('fingerprints.safetyNumber', async () => (await safetyNumber(alice, bob)) === v.fingerprints.safetyNumber);

  await check('memberKeys.alice', async () => (await memberKeysDigest(alice.userId, alice.publicKeys)) === v.memberKeys.alice);
  await check('memberKeys.bob', async () => (await memberKeysDigest(bob.userId, bob.publicKeys)) === v.memberKeys.bob);
  await check('genesis', async () => {
    await verifyGenesis(v.genesis, alice.publicKeys);
    return v.genesis.creatorId === alice.userId && v.genesis.creatorKeys === v.memberKeys.alice;
  });
  await check('admission', async () => {
    await verifyAdmission(v.admission, alice.publicKeys);
    return v.admission.memberId === bob.userId && v.admission.memberKeys === v.memberKeys.bob;
  });
  const roomKey = await aes(v.epoch.epochKey, true);
  const { announcement } = v.epoch;
  await check('epoch.announcement (commit)', async () => (await epochCommitment(roomKey, announcement.roomId, announcement.epoch)) === announcement.commit);
  await check('epoch.announcement (verified)', async () => {
    await verifyEpochAnnouncement(announcement, alice.publicKeys);
    return keyMatchesCommitment(roomKey, announcement);
  });

  const bobJoins = { code: v.roomPassword.code, joinerId: bob.userId, joinerKeys: bob.publicKeys };
  const verifiers = [
    { name: 'invite', verifierId: v.invite.id, verifier: () => inviteVerifier(v.invite.secret), expected: v.invite.verifier, sealed: v.invite.sealed, proof: v.invite.proof },
    {
      name: 'roomPassword',
      verifierId: PASSWORD_VERIFIER_ID,
      verifier: async () => (await deriveRoomPassword(v.roomPassword.password, v.roomPassword.code)).admitKey,
      expected: v.roomPassword.admitKey,
      sealed: v.roomPassword.sealed,
      proof: v.roomPassword.proof,
    },
  ];
  await check('invite.id', async () => (await inviteIdFromSecret(v.invite.secret)) === v.invite.id);
  await check('roomPassword.joinKey', async () => (await deriveRoomPassword(v.roomPassword.password, v.roomPassword.code)).joinKey === v.roomPassword.joinKey);
  for (const item of verifiers) {
    const verifier = await item.verifier().catch(() => new Uint8Array(32));
    await check(`${item.name}.verifier`, async () => toBase64(verifier) === item.expected);
    await check(`${item.name}.sealed (sealed)`, async () => {
      const sealed = await sealVerifierWithIv({ roomId: announcement.roomId, epoch: item.sealed.epoch, epochKey: roomKey, verifierId: item.verifierId, verifier }, fromBase64(item.sealed.iv, 'iv'));
      return sealed.ct === item.sealed.ct;
    });
    await check(`${item.name}.sealed (opened)`, async () => {
      const opened = await openVerifier({ roomId: announcement.roomId, verifierId: item.verifierId, sealed: item.sealed, epochKey: roomKey });
      return equalBytes(opened, verifier);
    });
    await check(`${item.name}.proof`, async () => (await joinProof(verifier, bobJoins)) === item.proof && (await checkJoinProof(verifier, bobJoins, item.proof)));
  }
  return failures;
}
