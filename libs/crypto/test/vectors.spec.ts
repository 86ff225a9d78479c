import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, hkdfSync, pbkdf2Sync, privateDecrypt, constants, verify } from 'node:crypto';
import { checkTestVectors } from '@conclave/crypto';
import { vectors } from './support.js';

const b64 = (text: string) => Buffer.from(text, 'base64');

describe('test vectors', () => {
  it('are reproduced by libs/crypto on WebCrypto', async () => {
    expect(await checkTestVectors(vectors)).toEqual([]);
  });

  it('report a mismatch rather than pass silently', async () => {
    const altered = structuredClone(vectors);
    altered.derivation.authKey = Buffer.alloc(32).toString('base64');
    altered.fingerprints.safetyNumber = '0'.repeat(60);
    altered.invite.verifier = Buffer.alloc(32).toString('base64');
    altered.roomPassword.proof = Buffer.alloc(32).toString('base64');
    altered.admission.admittedAt += 1;
    expect(await checkTestVectors(altered)).toEqual([
      'derivation.authKey: mismatch',
      'fingerprints.safetyNumber: mismatch',
      `admission: SignatureError: the admission of ${vectors.admission.memberId} is not signed by ${vectors.admission.admitterId}`,
      'invite.verifier: mismatch',
      'roomPassword.proof: mismatch',
    ]);
  });
});

// The same bytes recomputed with node:crypto (OpenSSL), an implementation independent of WebCrypto's
// code paths, from the formulas in docs/protocol.md and the README.
describe('test vectors, checked independently with node:crypto', () => {
  const { alice, bob } = vectors.identities;
  const hkdf = (master: Buffer, info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  const master = pbkdf2Sync(vectors.derivation.password.normalize('NFKC'), `conclave/v1/${vectors.derivation.username.toLowerCase()}`, 600_000, 32, 'sha256');

  const gcm = (key: Buffer, iv: Buffer, plaintext: Buffer, aad: string) => {
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(aad));
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]).toString('base64');
  };
  const ungcm = (key: Buffer, iv: Buffer, sealed: Buffer, aad: string) => {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  };

  it('authKey = HKDF-SHA256(PBKDF2-SHA256(password, "conclave/v1/" + lowercase(username), 600000), "", "conclave/v1/auth")', () => {
    expect(hkdf(master, 'conclave/v1/auth').toString('base64')).toBe(vectors.derivation.authKey);
  });

  it('the backup is AES-256-GCM under wrapKey with AAD "conclave/v1/backup|" + userId', () => {
    const { backup } = vectors.derivation;
    const plaintext = ungcm(hkdf(master, 'conclave/v1/wrap'), b64(backup.iv), b64(backup.ct), `conclave/v1/backup|${alice.userId}`);
    expect(JSON.parse(plaintext.toString())).toEqual({ v: 1, enc: alice.privateKeys.enc, sig: alice.privateKeys.sig });
  });

  it('the key box is RSA-OAEP-SHA256 to bob, signed by alice over the length-prefixed fields', () => {
    const { box, epochKey } = vectors.keyBox;
    const rsa = createPrivateKey({ key: b64(bob.privateKeys.enc), format: 'der', type: 'pkcs8' });
    const raw = privateDecrypt({ key: rsa, oaepHash: 'sha256', padding: constants.RSA_PKCS1_OAEP_PADDING }, b64(box.wrapped));
    expect(raw.toString('base64')).toBe(epochKey);
    const field = (value: Buffer) => Buffer.concat([Buffer.from([0, 0, value.length >> 8, value.length & 0xff]), value]);
    const signed = Buffer.concat(
      [Buffer.from('conclave/v1/keybox'), Buffer.from(box.roomId), Buffer.from(String(box.epoch)), Buffer.from(box.recipientId), Buffer.from(box.sharerId), b64(box.wrapped)].map(field),
    );
    const sharer = createPublicKey({ key: b64(alice.publicKeys.sig), format: 'der', type: 'spki' });
    expect(verify('sha256', signed, { key: sharer, dsaEncoding: 'ieee-p1363' }, b64(box.sig))).toBe(true);
  });

  it('the message is AES-256-GCM of its JSON with the documented AAD, signed over aad|iv|ct', () => {
    const { envelope, content, senderId, epochKey } = vectors.message;
    const aad = `conclave/v1/msg|${envelope.roomId}|${senderId}|${envelope.epoch}|${envelope.clientMsgId}`;
    expect(gcm(b64(epochKey), b64(envelope.iv), Buffer.from(JSON.stringify(content)), aad)).toBe(envelope.ct);
    const sender = createPublicKey({ key: b64(alice.publicKeys.sig), format: 'der', type: 'spki' });
    expect(verify('sha256', Buffer.from(`${aad}|${envelope.iv}|${envelope.ct}`), { key: sender, dsaEncoding: 'ieee-p1363' }, b64(envelope.sig))).toBe(true);
  });

  it('the file is AES-256-GCM with AAD "conclave/v1/file|" + roomId + "|" + fileId and its descriptor carries both SHA-256s', () => {
    const { file } = vectors;
    expect(gcm(b64(file.key), b64(file.iv), b64(file.plaintext), `conclave/v1/file|${file.roomId}|${file.fileId}`)).toBe(file.ciphertext);
    expect(createHash('sha256').update(b64(file.plaintext)).digest('base64')).toBe(file.descriptor.sha256);
    expect(createHash('sha256').update(b64(file.ciphertext)).digest('base64')).toBe(file.descriptor.ciphertextSha256);
  });

  it('fingerprints are Signal-style iterated SHA-512 (5200 rounds), 30 digits; the safety number sorts them', () => {
    const fingerprint = (who: typeof alice) => {
      const key = Buffer.concat([b64(who.publicKeys.enc), b64(who.publicKeys.sig)]);
      let hash = Buffer.concat([Buffer.from([0, 1]), key, Buffer.from(who.userId)]);
      for (let i = 0; i < 5200; i++) hash = createHash('sha512').update(hash).update(key).digest();
      return [0, 1, 2, 3, 4, 5].map((c) => String(hash.readUIntBE(c * 5, 5) % 100000).padStart(5, '0')).join('');
    };
    expect(fingerprint(alice)).toBe(vectors.fingerprints.alice);
    expect(fingerprint(bob)).toBe(vectors.fingerprints.bob);
    expect(vectors.fingerprints.safetyNumber).toBe([fingerprint(alice), fingerprint(bob)].sort().join(''));
  });

  // Membership v2 (docs/protocol.md, "Membership").
  const field = (value: Buffer | string | number) => {
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const canonical = (...values: Array<Buffer | string | number>) => Buffer.concat(values.map(field));
  const signedBy = (who: typeof alice, data: Buffer, sig: string) =>
    verify('sha256', data, { key: createPublicKey({ key: b64(who.publicKeys.sig), format: 'der', type: 'spki' }), dsaEncoding: 'ieee-p1363' }, b64(sig));
  const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest('base64');
  const keysDigest = (who: typeof alice) => createHash('sha256').update(canonical('conclave/v1/keys', who.userId, b64(who.publicKeys.enc), b64(who.publicKeys.sig))).digest('base64');
  const bobJoins = (code: string) => canonical('conclave/v1/join', code, bob.userId, keysDigest(bob));

  it('memberKeys = SHA-256(canonical("conclave/v1/keys", userId, enc SPKI, sig SPKI))', () => {
    expect(keysDigest(alice)).toBe(vectors.memberKeys.alice);
    expect(keysDigest(bob)).toBe(vectors.memberKeys.bob);
  });

  it('the genesis and the admission are signed by alice over their length-prefixed fields', () => {
    const { genesis, admission } = vectors;
    expect(genesis.creatorKeys).toBe(keysDigest(alice));
    expect(signedBy(alice, canonical('conclave/v1/room', genesis.roomId, genesis.creatorId, genesis.creatorKeys), genesis.sig)).toBe(true);
    expect(admission.memberKeys).toBe(keysDigest(bob));
    const admitted = canonical('conclave/v1/admit', admission.roomId, admission.memberId, admission.memberKeys, admission.admitterId, admission.via, admission.admittedAt);
    expect(signedBy(alice, admitted, admission.sig)).toBe(true);
  });

  it('the epoch commit is HMAC-SHA256(epoch key, canonical("conclave/v1/epoch-commit", roomId, epoch)), announced by its maker', () => {
    const { epochKey, announcement: a } = vectors.epoch;
    expect(hmac(b64(epochKey), canonical('conclave/v1/epoch-commit', a.roomId, a.epoch))).toBe(a.commit);
    expect(signedBy(alice, canonical('conclave/v1/epoch', a.roomId, a.epoch, a.makerId, a.commit), a.sig)).toBe(true);
  });

  it('an invite: id and verifier are HKDF-SHA256 of the secret bytes; the verifier is sealed with AAD canonical("conclave/v1/verifier", roomId, epoch, id)', () => {
    const { invite, epoch } = vectors;
    const secret = Buffer.from(invite.secret, 'base64url');
    expect(secret).toHaveLength(32);
    expect(Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'conclave/v1/invite-id', 16)).toString('base64url')).toBe(invite.id);
    const verifier = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'conclave/v1/invite', 32));
    expect(verifier.toString('base64')).toBe(invite.verifier);
    const aad = canonical('conclave/v1/verifier', epoch.announcement.roomId, invite.sealed.epoch, invite.id);
    expect(sealGcm(b64(epoch.epochKey), b64(invite.sealed.iv), verifier, aad)).toBe(invite.sealed.ct);
    expect(hmac(verifier, bobJoins(vectors.roomPassword.code))).toBe(invite.proof);
  });

  it('a room password: PBKDF2-SHA256(NFKC(password), "conclave/v1/room|" + code, 600000) → joinKey and admitKey by HKDF; admitKey sealed as verifier "password"', () => {
    const { roomPassword: p, epoch } = vectors;
    const roomMaster = pbkdf2Sync(p.password.normalize('NFKC'), `conclave/v1/room|${p.code}`, 600_000, 32, 'sha256');
    expect(hkdf(roomMaster, 'conclave/v1/room-join').toString('base64')).toBe(p.joinKey);
    const admitKey = hkdf(roomMaster, 'conclave/v1/room-admit');
    expect(admitKey.toString('base64')).toBe(p.admitKey);
    const aad = canonical('conclave/v1/verifier', epoch.announcement.roomId, p.sealed.epoch, 'password');
    expect(sealGcm(b64(epoch.epochKey), b64(p.sealed.iv), admitKey, aad)).toBe(p.sealed.ct);
    expect(hmac(admitKey, bobJoins(p.code))).toBe(p.proof);
  });

  const sealGcm = (key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer) => {
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad);
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]).toString('base64');
  };
});
