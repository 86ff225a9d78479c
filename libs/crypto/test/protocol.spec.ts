import { LIMITS, type KeyBox, type MessageEnvelope, messageBounds } from '@conclave/contracts';
import {
  CryptoError,
  DecryptionError,
  InvalidInputError,
  MalformedPlaintextError,
  MessageTooLongError,
  SignatureError,
  WrongRecipientError,
  decryptMessage,
  deriveAccountKeys,
  encryptMessage,
  exportPublicKeys,
  generateEpochKey,
  generateIdentity,
  importPublicKeys,
  editContent,
  openKeyBackup,
  rewrapKeyBackup,
  openKeyBox,
  sealKeyBackup,
  sealKeyBox,
  textContent,
  verifyMessageSignature,
  type NewIdentity,
} from '@conclave/crypto';
import { flipBit, member, type Member, signsFor } from './support.js';

const ROOM = 'a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d';
let alice: Member;
let bob: Member;
let carol: { userId: string; pairs: NewIdentity; publicKeys: Awaited<ReturnType<typeof exportPublicKeys>> };

beforeAll(async () => {
  [alice, bob] = await Promise.all([member('alice'), member('bob')]);
  const pairs = await generateIdentity(); // a fresh RSA-4096 + P-256 identity, as at registration
  carol = { userId: '9c8b7a69-5847-4362-9150-0f1e2d3c4b5a', pairs, publicKeys: await exportPublicKeys(pairs) };
});

describe('password → keys', () => {
  it('derives the same credential for the same password, whatever the username case', async () => {
    const a = await deriveAccountKeys('correct horse battery staple', 'Alice');
    const b = await deriveAccountKeys('correct horse battery staple', 'alice');
    expect(a.authKey).toBe(b.authKey);
    expect(Buffer.from(a.authKey, 'base64')).toHaveLength(32);
  });

  it('derives a different credential for another password or another user', async () => {
    const base = await deriveAccountKeys('correct horse battery staple', 'alice');
    expect((await deriveAccountKeys('correct horse battery stapler', 'alice')).authKey).not.toBe(base.authKey);
    expect((await deriveAccountKeys('correct horse battery staple', 'bob')).authKey).not.toBe(base.authKey);
  });

  it('keeps wrapKey inside the client: it cannot be exported', async () => {
    const { wrapKey } = await deriveAccountKeys('correct horse battery staple', 'alice');
    expect(wrapKey.extractable).toBe(false);
    await expect(globalThis.crypto.subtle.exportKey('raw', wrapKey)).rejects.toThrow();
  });
});

describe('identity and key backup', () => {
  it('generates RSA-OAEP-4096 and ECDSA P-256 keys whose public halves import back', async () => {
    const imported = await importPublicKeys(carol.publicKeys);
    expect((imported.enc.algorithm as RsaHashedKeyAlgorithm).modulusLength).toBe(4096);
    expect((imported.sig.algorithm as EcKeyAlgorithm).namedCurve).toBe('P-256');
  });

  it('seals the private keys under wrapKey and opens them as non-extractable keys that work', async () => {
    const { wrapKey } = await deriveAccountKeys('carol’s long passphrase', 'carol');
    const backup = await sealKeyBackup(carol.pairs, wrapKey, carol.userId);
    const opened = await openKeyBackup(backup, wrapKey, carol.userId);
    expect(opened.enc.extractable).toBe(false);
    expect(opened.sig.extractable).toBe(false);
    expect(await signsFor(opened.sig, carol.pairs.sig.publicKey)).toBe(true);
  });

  it('refuses to open the backup with a wrong password, for another user, or altered', async () => {
    const { wrapKey } = await deriveAccountKeys('carol’s long passphrase', 'carol');
    const backup = await sealKeyBackup(carol.pairs, wrapKey, carol.userId);
    const wrong = await deriveAccountKeys('carol’s long passphrasE', 'carol');
    await expect(openKeyBackup(backup, wrong.wrapKey, carol.userId)).rejects.toBeInstanceOf(DecryptionError);
    await expect(openKeyBackup(backup, wrapKey, alice.userId)).rejects.toBeInstanceOf(DecryptionError);
    await expect(openKeyBackup({ ...backup, ct: flipBit(backup.ct, 7) }, wrapKey, carol.userId)).rejects.toBeInstanceOf(DecryptionError);
    await expect(openKeyBackup({ ...backup, iv: flipBit(backup.iv) }, wrapKey, carol.userId)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('re-seals the backup under a new password without the keys ever being extractable', async () => {
    const old = await deriveAccountKeys('carol’s long passphrase', 'carol');
    const next = await deriveAccountKeys('carol’s new passphrase', 'carol');
    const backup = await sealKeyBackup(carol.pairs, old.wrapKey, carol.userId);
    const rewrapped = await rewrapKeyBackup(backup, old.wrapKey, next.wrapKey, carol.userId);
    expect(rewrapped.iv).not.toBe(backup.iv);
    await expect(openKeyBackup(rewrapped, old.wrapKey, carol.userId)).rejects.toBeInstanceOf(DecryptionError);
    const opened = await openKeyBackup(rewrapped, next.wrapKey, carol.userId);
    expect(await signsFor(opened.sig, carol.pairs.sig.publicKey)).toBe(true);
  });

  it('refuses to re-seal with a wrong current password, for another user, or altered', async () => {
    const old = await deriveAccountKeys('carol’s long passphrase', 'carol');
    const next = await deriveAccountKeys('carol’s new passphrase', 'carol');
    const backup = await sealKeyBackup(carol.pairs, old.wrapKey, carol.userId);
    await expect(rewrapKeyBackup(backup, next.wrapKey, next.wrapKey, carol.userId)).rejects.toBeInstanceOf(DecryptionError);
    await expect(rewrapKeyBackup(backup, old.wrapKey, next.wrapKey, alice.userId)).rejects.toBeInstanceOf(DecryptionError);
    await expect(rewrapKeyBackup({ ...backup, ct: flipBit(backup.ct, 7) }, old.wrapKey, next.wrapKey, carol.userId)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('refuses public keys that are not RSA-4096 / P-256, or not keys at all', async () => {
    const weak = await globalThis.crypto.subtle.generateKey(
      { name: 'RSA-OAEP', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
      true,
      ['encrypt', 'decrypt'],
    );
    const weakSpki = Buffer.from(await globalThis.crypto.subtle.exportKey('spki', weak.publicKey)).toString('base64');
    await expect(importPublicKeys({ ...carol.publicKeys, enc: weakSpki })).rejects.toThrow(/4096-bit/);
    await expect(importPublicKeys({ ...carol.publicKeys, sig: carol.publicKeys.enc })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(importPublicKeys({ enc: 'not base64!', sig: carol.publicKeys.sig })).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('key boxes', () => {
  async function boxForBob(): Promise<{ box: KeyBox; epochKey: CryptoKey }> {
    const epochKey = await generateEpochKey();
    const box = await sealKeyBox({ roomId: ROOM, epoch: 3, epochKey, recipientId: bob.userId, recipientEnc: bob.pub.enc, sharerId: alice.userId, sharerSig: alice.priv.sig });
    return { box, epochKey };
  }
  const raw = async (key: CryptoKey) => Buffer.from(await globalThis.crypto.subtle.exportKey('raw', key)).toString('base64');

  it('hands the epoch key from sharer to recipient', async () => {
    const { box, epochKey } = await boxForBob();
    const opened = await openKeyBox(box, { recipientId: bob.userId, recipientEnc: bob.priv.enc, sharerSig: alice.pub.sig });
    expect(await raw(opened)).toBe(await raw(epochKey));
  });

  it('rejects a box signed by someone other than its sharer', async () => {
    const epochKey = await generateEpochKey();
    // carol signs, but the box claims alice shared it: the server cannot make boxes in a member's name either
    const forged = await sealKeyBox({ roomId: ROOM, epoch: 3, epochKey, recipientId: bob.userId, recipientEnc: bob.pub.enc, sharerId: alice.userId, sharerSig: carol.pairs.sig.privateKey });
    await expect(openKeyBox(forged, { recipientId: bob.userId, recipientEnc: bob.priv.enc, sharerSig: alice.pub.sig })).rejects.toBeInstanceOf(SignatureError);
  });

  it('fails cleanly for the wrong recipient', async () => {
    const { box } = await boxForBob();
    const asCarol = { recipientEnc: carol.pairs.enc.privateKey, sharerSig: alice.pub.sig };
    await expect(openKeyBox(box, { ...asCarol, recipientId: carol.userId })).rejects.toBeInstanceOf(WrongRecipientError);
    // carol claiming to be bob still cannot unwrap what was wrapped for bob's key
    await expect(openKeyBox(box, { ...asCarol, recipientId: bob.userId })).rejects.toBeInstanceOf(DecryptionError);
    // readdressing the box to carol breaks alice's signature
    await expect(openKeyBox({ ...box, recipientId: carol.userId }, { ...asCarol, recipientId: carol.userId })).rejects.toBeInstanceOf(SignatureError);
  });

  it('refuses a malformed box with a typed error', async () => {
    const { box } = await boxForBob();
    const input = { recipientId: bob.userId, recipientEnc: bob.priv.enc, sharerSig: alice.pub.sig };
    for (const bad of [null, 'box', { ...box, epoch: -1 }, { ...box, wrapped: 'x' }, { ...box, sig: undefined }]) {
      await expect(openKeyBox(bad as unknown as KeyBox, input)).rejects.toBeInstanceOf(InvalidInputError);
    }
  });

  it.each([
    ['roomId', (b: KeyBox) => ({ ...b, roomId: 'b3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d' })],
    ['epoch', (b: KeyBox) => ({ ...b, epoch: 4 })],
    ['wrapped', (b: KeyBox) => ({ ...b, wrapped: flipBit(b.wrapped, 100) })],
    ['sig', (b: KeyBox) => ({ ...b, sig: flipBit(b.sig, 10) })],
  ])('rejects a box whose %s was altered', async (_field, alter) => {
    const { box } = await boxForBob();
    await expect(openKeyBox(alter(box), { recipientId: bob.userId, recipientEnc: bob.priv.enc, sharerSig: alice.pub.sig })).rejects.toBeInstanceOf(SignatureError);
  });
});

describe('messages', () => {
  let epochKey: CryptoKey;
  beforeAll(async () => {
    epochKey = await generateEpochKey();
  });
  const send = (body: string, extra: Partial<Parameters<typeof encryptMessage>[0]> = {}) =>
    encryptMessage({ roomId: ROOM, senderId: alice.userId, epoch: 2, epochKey, senderSig: alice.priv.sig, content: textContent(body), ...extra });
  const receive = (envelope: MessageEnvelope, senderId = alice.userId, key = epochKey, senderSig = alice.pub.sig) =>
    decryptMessage({ ...envelope, senderId }, { epochKey: key, senderSig });

  it('round-trips a signed markdown message with emoji', async () => {
    const envelope = await send('**Ship it** 🚀 — _today_');
    expect(envelope).toMatchObject({ roomId: ROOM, epoch: 2 });
    expect(envelope.clientMsgId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(receive(envelope)).resolves.toMatchObject({ type: 'text', body: '**Ship it** 🚀 — _today_' });
  });

  it('keeps the clientMsgId given for a resend, and never reuses an IV', async () => {
    const clientMsgId = '11111111-2222-4333-8444-555555555555';
    const [a, b] = await Promise.all([send('again', { clientMsgId }), send('again', { clientMsgId })]);
    expect(a.clientMsgId).toBe(clientMsgId);
    expect(a.iv).not.toBe(b.iv);
  });

  it(`allows ${LIMITS.messageBodyChars} characters (emoji count as one) and refuses one more with a typed error`, async () => {
    await expect(send('😀'.repeat(LIMITS.messageBodyChars))).resolves.toBeDefined();
    await expect(send('\u0000'.repeat(LIMITS.messageBodyChars))).resolves.toBeDefined(); // worst-case JSON escaping still fits
    const tooLong = send('a'.repeat(LIMITS.messageBodyChars + 1));
    await expect(tooLong).rejects.toBeInstanceOf(MessageTooLongError);
    await expect(tooLong).rejects.toMatchObject({ code: 'message-too-long', length: 151, limit: 150 });
  });

  it('follows a deployment limit up to the protocol maximum, and receivers accept up to that maximum', async () => {
    const max = LIMITS.messageBodyCharsMax;
    const long = await send('\u0000'.repeat(max), { maxChars: max });
    expect(Buffer.from(long.ct, 'base64').length).toBeLessThanOrEqual(messageBounds(max).ciphertextBytes);
    await expect(receive(long)).resolves.toMatchObject({ type: 'text' });
    await expect(send('a'.repeat(max + 1), { maxChars: max })).rejects.toMatchObject({ code: 'message-too-long', length: max + 1, limit: max });
    await expect(send('a'.repeat(30), { maxChars: 20 })).rejects.toMatchObject({ code: 'message-too-long', length: 30, limit: 20 });
  });

  it('carries an edit of a message inside the ciphertext, under the same limit', async () => {
    const envelope = await send('', { content: editContent(7, 'fixed typo', 5) });
    await expect(receive(envelope)).resolves.toEqual({ type: 'edit', editOf: 7, body: 'fixed typo', sentAt: 5 });
    await expect(send('', { content: editContent(7, 'a'.repeat(LIMITS.messageBodyChars + 1)) })).rejects.toBeInstanceOf(MessageTooLongError);
    await expect(send('', { content: editContent(0, 'no original') })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('keeps every ciphertext within the bound the server enforces', async () => {
    const envelope = await send('\u0000'.repeat(LIMITS.messageBodyChars));
    expect(Buffer.from(envelope.ct, 'base64').length).toBeLessThanOrEqual(LIMITS.messageCiphertextBytes);
  });

  it('refuses an empty message and malformed ids', async () => {
    await expect(send('   ')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(send('hi', { roomId: 'room|other' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(send('hi', { clientMsgId: 'not-a-uuid' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(send('hi', { epoch: 0 })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it.each([
    ['iv', (e: MessageEnvelope) => ({ ...e, iv: flipBit(e.iv) })],
    ['ciphertext', (e: MessageEnvelope) => ({ ...e, ct: flipBit(e.ct, 5) })],
    ['signature', (e: MessageEnvelope) => ({ ...e, sig: flipBit(e.sig, 20) })],
    ['AAD room', (e: MessageEnvelope) => ({ ...e, roomId: 'b3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d' })],
    ['AAD epoch', (e: MessageEnvelope) => ({ ...e, epoch: 3 })],
    ['AAD clientMsgId', (e: MessageEnvelope) => ({ ...e, clientMsgId: '11111111-2222-4333-8444-555555555556' })],
  ])('rejects a message whose %s was altered with SignatureError', async (_field, alter) => {
    await expect(receive(alter(await send('pay Bob 10 €')))).rejects.toBeInstanceOf(SignatureError);
  });

  it('rejects a message re-attributed to another sender (AAD sender)', async () => {
    const envelope = await send('I said this');
    await expect(receive(envelope, bob.userId, epochKey, bob.pub.sig)).rejects.toBeInstanceOf(SignatureError);
    await expect(receive(envelope, bob.userId, epochKey, alice.pub.sig)).rejects.toBeInstanceOf(SignatureError);
  });

  it('verifies the signature alone, with no epoch key (what the server checks before storing), with the same refusals', async () => {
    const envelope = await send('checked by the server');
    await expect(verifyMessageSignature({ ...envelope, senderId: alice.userId }, alice.pub.sig)).resolves.toBeUndefined();
    const forgeries: Array<[MessageEnvelope, string, CryptoKey]> = [
      [{ ...envelope, sig: flipBit(envelope.sig, 20) }, alice.userId, alice.pub.sig],
      [{ ...envelope, ct: flipBit(envelope.ct, 5) }, alice.userId, alice.pub.sig],
      [{ ...envelope, roomId: 'b3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d' }, alice.userId, alice.pub.sig], // moved to another room
      [{ ...envelope, clientMsgId: '11111111-2222-4333-8444-555555555556' }, alice.userId, alice.pub.sig],
      [envelope, bob.userId, bob.pub.sig], // re-sent by someone else
    ];
    for (const [forged, senderId, key] of forgeries) await expect(verifyMessageSignature({ ...forged, senderId }, key)).rejects.toBeInstanceOf(SignatureError);
    await expect(verifyMessageSignature({ ...envelope, iv: 'AAAA', senderId: alice.userId }, alice.pub.sig)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('refuses a wrong epoch key (a former member holding an old epoch) with DecryptionError', async () => {
    const envelope = await send('after rotation');
    await expect(receive(envelope, alice.userId, await generateEpochKey())).rejects.toBeInstanceOf(DecryptionError);
  });

  it('refuses ciphertext the sender altered and re-signed with DecryptionError', async () => {
    const envelope = await send('original');
    const ct = flipBit(envelope.ct, 3);
    const aad = `conclave/v1/msg|${ROOM}|${alice.userId}|2|${envelope.clientMsgId}`;
    const sig = await globalThis.crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, alice.priv.sig, new TextEncoder().encode(`${aad}|${envelope.iv}|${ct}`));
    await expect(receive({ ...envelope, ct, sig: Buffer.from(sig).toString('base64') })).rejects.toBeInstanceOf(DecryptionError);
  });

  it('flags authentic content it cannot understand as MalformedPlaintextError', async () => {
    const wc = globalThis.crypto.subtle;
    const clientMsgId = '21111111-2222-4333-8444-555555555555';
    const aad = `conclave/v1/msg|${ROOM}|${alice.userId}|2|${clientMsgId}`;
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
    const seal = async (plaintext: string) => {
      const ct = Buffer.from(await wc.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(aad) }, epochKey, new TextEncoder().encode(plaintext))).toString('base64');
      const ivText = Buffer.from(iv).toString('base64');
      const sig = Buffer.from(await wc.sign({ name: 'ECDSA', hash: 'SHA-256' }, alice.priv.sig, new TextEncoder().encode(`${aad}|${ivText}|${ct}`))).toString('base64');
      return { roomId: ROOM, epoch: 2, clientMsgId, iv: ivText, ct, sig };
    };
    for (const plaintext of ['not json', '{"type":"text","sentAt":1}', JSON.stringify({ type: 'text', body: 'x'.repeat(LIMITS.messageBodyCharsMax + 1), sentAt: 1 }), '{"type":"html","body":"<b>"}',
      JSON.stringify({ type: 'edit', body: 'no original', sentAt: 1 }), JSON.stringify({ type: 'edit', editOf: 0, body: 'x', sentAt: 1 }), JSON.stringify({ type: 'edit', editOf: 3, body: 'x', sentAt: 1, extra: 1 })]) {
      await expect(receive(await seal(plaintext))).rejects.toBeInstanceOf(MalformedPlaintextError);
    }
  });

  it('never lets a DOMException escape: malformed envelopes are typed errors', async () => {
    const envelope = await send('hello');
    const cases: unknown[] = [
      { ...envelope, iv: 'AAAA' },
      { ...envelope, ct: '' },
      { ...envelope, sig: 'AA==' },
      { ...envelope, ct: Buffer.alloc(messageBounds(LIMITS.messageBodyCharsMax).ciphertextBytes + 1).toString('base64') },
      { ...envelope, epoch: '2' },
      null,
    ];
    for (const bad of cases) {
      const error = await receive(bad as MessageEnvelope).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CryptoError);
    }
  });
});
