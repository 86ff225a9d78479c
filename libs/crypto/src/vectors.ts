import type { FileDescriptor, KeyBackup, KeyBox, MessageEnvelope, PublicKeys, TextContent } from '@conclave/contracts';
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
  file: { name: string; plaintext: string; key: string; iv: string; ciphertext: string; descriptor: FileDescriptor };
  fingerprints: { alice: string; bob: string; safetyNumber: string };
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
    const { ciphertext, descriptor } = await encryptFileWith(fromBase64(v.file.plaintext, 'plaintext'), v.file.name, await aes(v.file.key, true), fromBase64(v.file.iv, 'iv'));
    return toBase64(ciphertext) === v.file.ciphertext && JSON.stringify(descriptor) === JSON.stringify(v.file.descriptor);
  });
  await check('file (decrypted)', async () => {
    const plaintext = await decryptFile(fromBase64(v.file.ciphertext, 'ciphertext'), v.file.descriptor);
    return equalBytes(plaintext, fromBase64(v.file.plaintext, 'plaintext'));
  });

  await check('fingerprints.alice', async () => (await fingerprint(alice)) === v.fingerprints.alice);
  await check('fingerprints.bob', async () => (await fingerprint(bob)) === v.fingerprints.bob);
  await check('fingerprints.safetyNumber', async () => (await safetyNumber(alice, bob)) === v.fingerprints.safetyNumber);
  return failures;
}
