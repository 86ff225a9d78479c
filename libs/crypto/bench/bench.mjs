// `npm run bench -w @conclave/crypto`: operations per second of the protocol's operations (median of
// several timed samples), each beside a baseline measured in the same run: the bare WebCrypto
// primitive(s) underneath, so the figure shows what the protocol layer adds. Printed, never asserted.
import { LIMITS } from '@conclave/contracts';
import {
  decryptFile,
  decryptMessage,
  deriveAccountKeys,
  encryptFile,
  encryptMessage,
  exportPublicKeys,
  generateEpochKey,
  generateIdentity,
  importPublicKeys,
  openKeyBox,
  sealKeyBox,
  textContent,
} from '../dist/index.js';

const wc = globalThis.crypto.subtle;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);
const now = () => performance.now();
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs `op` `perSample` times per sample; returns the median operations per second. */
async function opsPerSecond(op, perSample) {
  await op(); // warm-up
  const rates = [];
  for (let s = 0; s < SAMPLES; s++) {
    const start = now();
    for (let i = 0; i < perSample; i++) await op();
    rates.push(perSample / ((now() - start) / 1000));
  }
  return median(rates);
}

const rows = [];
async function measure(name, perSample, op, baselineName, baseline) {
  const ops = await opsPerSecond(op, perSample);
  const base = await opsPerSecond(baseline, perSample);
  rows.push({ name, ops, baselineName, base });
  process.stderr.write(`  ${name}: ${ops.toFixed(1)} ops/s\n`);
}

// Fixtures
const ROOM = 'a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d';
const ann = await generateIdentity();
const ben = await generateIdentity();
const annPub = await importPublicKeys(await exportPublicKeys(ann));
const benPub = await importPublicKeys(await exportPublicKeys(ben));
const epochKey = await generateEpochKey();
const body = 'ä'.repeat(LIMITS.messageBodyChars);
const fileBytes = new Uint8Array(LIMITS.fileBytes).fill(0x61);
const rawAes = await wc.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
const iv = new Uint8Array(12);
const box = await sealKeyBox({ roomId: ROOM, epoch: 1, epochKey, recipientId: 'ben', recipientEnc: benPub.enc, sharerId: 'ann', sharerSig: ann.sig.privateKey });
const envelope = await encryptMessage({ roomId: ROOM, senderId: 'ann', epoch: 1, epochKey, senderSig: ann.sig.privateKey, content: textContent(body) });
const place = { roomId: ROOM, fileId: '7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f' };
const file = await encryptFile(fileBytes, 'big.txt', place);
const plaintext = new TextEncoder().encode(JSON.stringify(textContent(body)));
const ecdsa = { name: 'ECDSA', hash: 'SHA-256' };
const sig = await wc.sign(ecdsa, ann.sig.privateKey, plaintext);
const wrapped = await wc.wrapKey('raw', epochKey, benPub.enc, { name: 'RSA-OAEP' });
const aesCt = await wc.encrypt({ name: 'AES-GCM', iv }, rawAes, fileBytes);
const messageCt = await wc.encrypt({ name: 'AES-GCM', iv }, epochKey, plaintext);

process.stderr.write(`libs/crypto benchmark (Node ${process.versions.node}, ${SAMPLES} samples each)\n`);
await measure('password → authKey + wrapKey', 1, () => deriveAccountKeys('correct horse battery staple', 'alice'), 'PBKDF2-SHA256 600k alone', async () => {
  const k = await wc.importKey('raw', new TextEncoder().encode('correct horse battery staple'), 'PBKDF2', false, ['deriveBits']);
  await wc.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations: 600_000 }, k, 256);
});
await measure('identity (RSA-4096 + P-256) generation', 2, () => generateIdentity(), 'RSA-OAEP-4096 generateKey alone', () =>
  wc.generateKey({ name: 'RSA-OAEP', hash: 'SHA-256', modulusLength: 4096, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['encrypt', 'decrypt']),
);
await measure('key box seal (wrap + sign)', 50, () => sealKeyBox({ roomId: ROOM, epoch: 1, epochKey, recipientId: 'ben', recipientEnc: benPub.enc, sharerId: 'ann', sharerSig: ann.sig.privateKey }), 'RSA-OAEP wrap + ECDSA sign', async () => {
  await wc.wrapKey('raw', epochKey, benPub.enc, { name: 'RSA-OAEP' });
  await wc.sign(ecdsa, ann.sig.privateKey, plaintext);
});
await measure('key box open (verify + unwrap)', 50, () => openKeyBox(box, { recipientId: 'ben', recipientEnc: ben.enc.privateKey, sharerSig: annPub.sig }), 'ECDSA verify + RSA-OAEP unwrap', async () => {
  await wc.verify(ecdsa, annPub.sig, sig, plaintext);
  await wc.unwrapKey('raw', wrapped, ben.enc.privateKey, { name: 'RSA-OAEP' }, 'AES-GCM', true, ['encrypt', 'decrypt']);
});
await measure(`message encrypt + sign (${LIMITS.messageBodyChars} chars)`, 500, () => encryptMessage({ roomId: ROOM, senderId: 'ann', epoch: 1, epochKey, senderSig: ann.sig.privateKey, content: textContent(body) }), 'AES-GCM encrypt + ECDSA sign', async () => {
  await wc.encrypt({ name: 'AES-GCM', iv }, epochKey, plaintext);
  await wc.sign(ecdsa, ann.sig.privateKey, plaintext);
});
await measure(`message verify + decrypt (${LIMITS.messageBodyChars} chars)`, 500, () => decryptMessage({ ...envelope, senderId: 'ann' }, { epochKey, senderSig: annPub.sig }), 'ECDSA verify + AES-GCM decrypt', async () => {
  await wc.verify(ecdsa, annPub.sig, sig, plaintext);
  await wc.decrypt({ name: 'AES-GCM', iv }, epochKey, messageCt);
});
await measure('8 MiB file encrypt (check + hash + AES-GCM)', 3, () => encryptFile(fileBytes, 'big.txt', place), 'AES-GCM encrypt 8 MiB alone', () => wc.encrypt({ name: 'AES-GCM', iv }, rawAes, fileBytes));
await measure('8 MiB file decrypt (AES-GCM + hash + check)', 3, () => decryptFile(file.ciphertext, file.descriptor, place), 'AES-GCM decrypt 8 MiB alone', () => wc.decrypt({ name: 'AES-GCM', iv }, rawAes, aesCt));

const table = [
  '| operation | ops/s | ms/op | baseline (same run) | baseline ops/s | protocol / baseline |',
  '| --- | ---: | ---: | --- | ---: | ---: |',
  ...rows.map((r) => `| ${r.name} | ${r.ops.toFixed(1)} | ${(1000 / r.ops).toFixed(2)} | ${r.baselineName} | ${r.base.toFixed(1)} | ${(r.ops / r.base).toFixed(2)} |`),
];
console.log(table.join('\n'));
