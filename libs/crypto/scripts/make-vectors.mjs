// Regenerates test-vectors.json (run: node libs/crypto/scripts/make-vectors.mjs after a build).
// Only needed when the protocol changes: the file is the fixed reference every client is checked
// against, and the test suites verify it independently with node:crypto.
import { writeFileSync } from 'node:fs';
import { exportPublicKeys, generateIdentity, sealKeyBox, deriveAccountKeys, fingerprint, safetyNumber, importPublicKeys } from '../dist/index.js';
import { toBase64 } from '../dist/encoding.js';
import { sealPkcs8Backup } from '../dist/identity.js';
import { encryptMessageWithIv } from '../dist/message.js';
import { encryptFileWith } from '../dist/file.js';

const wc = globalThis.crypto.subtle;
const counting = (start, length) => Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);

async function identity(userId) {
  const keys = await generateIdentity();
  const pkcs8 = async (key) => new Uint8Array(await wc.exportKey('pkcs8', key));
  return {
    keys,
    vector: {
      userId,
      publicKeys: await exportPublicKeys(keys),
      privateKeys: { enc: toBase64(await pkcs8(keys.enc.privateKey)), sig: toBase64(await pkcs8(keys.sig.privateKey)) },
    },
  };
}

const alice = await identity('6f1c2a4e-8b3d-4c5a-9e7f-0a1b2c3d4e5f');
const bob = await identity('0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70');

const derivation = { username: 'Alice', password: 'correct horse battery staple' };
const { authKey, wrapKey } = await deriveAccountKeys(derivation.password, derivation.username);
const backup = await sealPkcs8Backup(
  { enc: Uint8Array.from(atob(alice.vector.privateKeys.enc), (c) => c.charCodeAt(0)), sig: Uint8Array.from(atob(alice.vector.privateKeys.sig), (c) => c.charCodeAt(0)) },
  wrapKey,
  alice.vector.userId,
  counting(0, 12),
);

const roomId = 'a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d';
const epochKeyRaw = counting(0x20, 32);
const epochKey = await wc.importKey('raw', epochKeyRaw, 'AES-GCM', true, ['encrypt', 'decrypt']);
const box = await sealKeyBox({
  roomId,
  epoch: 1,
  epochKey,
  recipientId: bob.vector.userId,
  recipientEnc: (await importPublicKeys(bob.vector.publicKeys)).enc,
  sharerId: alice.vector.userId,
  sharerSig: alice.keys.sig.privateKey,
});

const content = { type: 'text', body: 'Hello, **Bob** 👋 — see you at 10:00?', sentAt: 1795366800000 };
const envelope = await encryptMessageWithIv(
  { roomId, senderId: alice.vector.userId, epoch: 1, clientMsgId: '5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e', epochKey, senderSig: alice.keys.sig.privateKey, content },
  counting(0x40, 12),
);

const fileName = 'notes.txt';
const fileBytes = new TextEncoder().encode('Conclave test vector file.\nLine two: ünïcödé ✓\n');
const fileKeyRaw = counting(0x60, 32);
const fileIv = counting(0x80, 12);
const file = await encryptFileWith(fileBytes, fileName, await wc.importKey('raw', fileKeyRaw, 'AES-GCM', true, ['encrypt', 'decrypt']), fileIv);

const vectors = {
  protocol: 'conclave/v1',
  identities: { alice: alice.vector, bob: bob.vector },
  derivation: { ...derivation, authKey, backup },
  keyBox: { box, epochKey: toBase64(epochKeyRaw) },
  message: { senderId: alice.vector.userId, epochKey: toBase64(epochKeyRaw), content, envelope },
  file: { name: fileName, plaintext: toBase64(fileBytes), key: toBase64(fileKeyRaw), iv: toBase64(fileIv), ciphertext: toBase64(file.ciphertext), descriptor: file.descriptor },
  fingerprints: {
    alice: await fingerprint(alice.vector),
    bob: await fingerprint(bob.vector),
    safetyNumber: await safetyNumber(alice.vector, bob.vector),
  },
};
writeFileSync(new URL('../test-vectors.json', import.meta.url), JSON.stringify(vectors, null, 2) + '\n');
console.log('wrote libs/crypto/test-vectors.json');
