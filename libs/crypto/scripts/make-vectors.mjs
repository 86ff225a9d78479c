// Regenerates test-vectors.json (run: node libs/crypto/scripts/make-vectors.mjs after a build).
// Only needed when the protocol changes: the file is the fixed reference every client is checked
// against, and the test suites verify it independently with node:crypto. The identities already in
// the file are kept (pass --fresh for new ones), so fingerprints and digests stay put; signatures
// and RSA-OAEP wraps are randomised and come out different on every run, and still verify.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  exportPublicKeys,
  generateIdentity,
  sealKeyBox,
  deriveAccountKeys,
  fingerprint,
  safetyNumber,
  importPublicKeys,
  memberKeysDigest,
  signGenesis,
  signAdmission,
  announceEpoch,
  inviteIdFromSecret,
  inviteVerifier,
  deriveRoomPassword,
  joinProof,
} from '../dist/index.js';
import { toBase64, toBase64Url } from '../dist/encoding.js';
import { sealVerifierWithIv } from '../dist/verifier.js';
import { sealPkcs8Backup } from '../dist/identity.js';
import { encryptMessageWithIv } from '../dist/message.js';
import { encryptFileWith } from '../dist/file.js';

const wc = globalThis.crypto.subtle;
const counting = (start, length) => Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);

const vectorsFile = new URL('../test-vectors.json', import.meta.url);
const previous = !process.argv.includes('--fresh') && existsSync(vectorsFile) ? JSON.parse(readFileSync(vectorsFile, 'utf8')) : undefined;
// A randomised value (signature, RSA-OAEP wrap) already in the file is kept while everything it
// covers is unchanged, so running the script again changes nothing but what the protocol changed.
const keep = (kept, fresh, randomised) =>
  kept && JSON.stringify({ ...kept, ...Object.fromEntries(randomised.map((f) => [f, 0])) }) === JSON.stringify({ ...fresh, ...Object.fromEntries(randomised.map((f) => [f, 0])) }) ? kept : fresh;
const bytes = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

async function identity(name, userId) {
  const kept = previous?.identities?.[name];
  if (kept) {
    const keys = {
      enc: { privateKey: await wc.importKey('pkcs8', bytes(kept.privateKeys.enc), { name: 'RSA-OAEP', hash: 'SHA-256' }, true, ['decrypt', 'unwrapKey']) },
      sig: { privateKey: await wc.importKey('pkcs8', bytes(kept.privateKeys.sig), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']) },
    };
    return { keys, vector: kept };
  }
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

const alice = await identity('alice', '6f1c2a4e-8b3d-4c5a-9e7f-0a1b2c3d4e5f');
const bob = await identity('bob', '0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70');

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
const freshBox = await sealKeyBox({
  roomId,
  epoch: 1,
  epochKey,
  recipientId: bob.vector.userId,
  recipientEnc: (await importPublicKeys(bob.vector.publicKeys)).enc,
  sharerId: alice.vector.userId,
  sharerSig: alice.keys.sig.privateKey,
});
const box = previous?.keyBox?.epochKey === toBase64(epochKeyRaw) ? keep(previous.keyBox.box, freshBox, ['wrapped', 'sig']) : freshBox;

const content = { type: 'text', body: 'Hello, **Bob** 👋 — see you at 10:00?', sentAt: 1795366800000 };
const freshEnvelope = await encryptMessageWithIv(
  { roomId, senderId: alice.vector.userId, epoch: 1, clientMsgId: '5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e', epochKey, senderSig: alice.keys.sig.privateKey, content },
  counting(0x40, 12),
);
const envelope = keep(previous?.message?.envelope, freshEnvelope, ['sig']);

const fileName = 'notes.txt';
const fileBytes = new TextEncoder().encode('Conclave test vector file.\nLine two: ünïcödé ✓\n');
const fileKeyRaw = counting(0x60, 32);
const fileIv = counting(0x80, 12);
const fileId = '7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f';
const file = await encryptFileWith(fileBytes, fileName, { roomId, fileId }, await wc.importKey('raw', fileKeyRaw, 'AES-GCM', true, ['encrypt', 'decrypt']), fileIv);

// Membership v2 (docs/protocol.md, "Membership"): alice created the room; bob joined with an invite.
const code = 'K7QZ';
const genesis = keep(
  previous?.genesis,
  await signGenesis({ roomId, creatorId: alice.vector.userId, creatorKeys: alice.vector.publicKeys, creatorSig: alice.keys.sig.privateKey }),
  ['sig'],
);
const freshAdmission = await signAdmission({
  roomId,
  memberId: bob.vector.userId,
  memberKeys: bob.vector.publicKeys,
  admitterId: alice.vector.userId,
  via: 'invite',
  admittedAt: 1795366800000,
  admitterSig: alice.keys.sig.privateKey,
});
const admission = keep(previous?.admission, freshAdmission, ['sig']);
const announcement = keep(
  previous?.epoch?.announcement,
  await announceEpoch({ roomId, epoch: 1, makerId: alice.vector.userId, epochKey, makerSig: alice.keys.sig.privateKey }),
  ['sig'],
);
const bobJoins = { code, joinerId: bob.vector.userId, joinerKeys: bob.vector.publicKeys };

const inviteSecret = toBase64Url(counting(0xa0, 32));
const inviteId = await inviteIdFromSecret(inviteSecret);
const inviteKey = await inviteVerifier(inviteSecret);
const invite = {
  secret: inviteSecret,
  id: inviteId,
  verifier: toBase64(inviteKey),
  sealed: await sealVerifierWithIv({ roomId, epoch: 1, epochKey, verifierId: inviteId, verifier: inviteKey }, counting(0xc0, 12)),
  proof: await joinProof(inviteKey, bobJoins),
};

const roomPasswordText = 'amber lantern ﬁre';
const { joinKey, admitKey } = await deriveRoomPassword(roomPasswordText, code);
const roomPassword = {
  password: roomPasswordText,
  code,
  joinKey,
  admitKey: toBase64(admitKey),
  sealed: await sealVerifierWithIv({ roomId, epoch: 1, epochKey, verifierId: 'password', verifier: admitKey }, counting(0xd0, 12)),
  proof: await joinProof(admitKey, bobJoins),
};

const vectors = {
  protocol: 'conclave/v1',
  identities: { alice: alice.vector, bob: bob.vector },
  derivation: { ...derivation, authKey, backup },
  keyBox: { box, epochKey: toBase64(epochKeyRaw) },
  message: { senderId: alice.vector.userId, epochKey: toBase64(epochKeyRaw), content, envelope },
  file: { name: fileName, roomId, fileId, plaintext: toBase64(fileBytes), key: toBase64(fileKeyRaw), iv: toBase64(fileIv), ciphertext: toBase64(file.ciphertext), descriptor: file.descriptor },
  fingerprints: {
    alice: await fingerprint(alice.vector),
    bob: await fingerprint(bob.vector),
    safetyNumber: await safetyNumber(alice.vector, bob.vector),
  },
  memberKeys: { alice: await memberKeysDigest(alice.vector.userId, alice.vector.publicKeys), bob: await memberKeysDigest(bob.vector.userId, bob.vector.publicKeys) },
  genesis,
  admission,
  epoch: { epochKey: toBase64(epochKeyRaw), announcement },
  invite,
  roomPassword,
};
writeFileSync(vectorsFile, JSON.stringify(vectors, null, 2) + '\n');
console.log('wrote libs/crypto/test-vectors.json');
