import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { REPO_ROOT } from '../support/server.js';

/**
 * libs/crypto in real chromium: the built ES modules are served at a fake https origin (a secure
 * context, so crypto.subtle exists) through Playwright's request routing; no bundler in between.
 */
const ORIGIN = 'https://crypto.conclave.test';
const FILES: Record<string, string> = {
  '/crypto/': join(REPO_ROOT, 'libs/crypto/dist/'),
  '/contracts/': join(REPO_ROOT, 'libs/contracts/dist/'),
};
const PAGE = `<!doctype html><meta charset="utf-8"><title>libs/crypto</title>
<script type="importmap">{"imports":{"@conclave/contracts":"/contracts/index.js","@conclave/crypto":"/crypto/index.js"}}</script>`;

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage();
  await page.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/') return route.fulfill({ contentType: 'text/html', body: PAGE });
    if (path === '/test-vectors.json') return route.fulfill({ contentType: 'application/json', body: readFileSync(join(REPO_ROOT, 'libs/crypto/test-vectors.json')) });
    const prefix = Object.keys(FILES).find((p) => path.startsWith(p));
    if (!prefix) return route.fulfill({ status: 404 });
    return route.fulfill({ contentType: 'text/javascript', body: readFileSync(FILES[prefix] + path.slice(prefix.length)) });
  });
  await page.goto(`${ORIGIN}/`);
});

afterAll(async () => {
  await browser?.close();
});

describe('libs/crypto in chromium', () => {
  it('reproduces every fixed test vector (the same bytes as in Node)', async () => {
    const failures = await page.evaluate(async () => {
      const { checkTestVectors } = await import('@conclave/crypto' as string);
      return checkTestVectors(await (await fetch('/test-vectors.json')).json());
    });
    expect(failures).toEqual([]);
  });

  it('runs the whole protocol: identity, backup, key box, message, file, safety number', async () => {
    const result = await page.evaluate(async () => {
      const c = await import('@conclave/crypto' as string);
      const room = 'a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d';
      const make = async (userId: string, username: string) => {
        const { wrapKey } = await c.deriveAccountKeys('a long browser passphrase', username);
        const pairs = await c.generateIdentity();
        const publicKeys = await c.exportPublicKeys(pairs);
        const backup = await c.sealKeyBackup(pairs, wrapKey, userId);
        const priv = await c.openKeyBackup(backup, wrapKey, userId);
        return { userId, publicKeys, pub: await c.importPublicKeys(publicKeys), priv };
      };
      const [ann, ben] = await Promise.all([make('ann-0001', 'ann'), make('ben-0002', 'ben')]);
      const epochKey = await c.generateEpochKey();
      const box = await c.sealKeyBox({ roomId: room, epoch: 1, epochKey, recipientId: ben.userId, recipientEnc: ben.pub.enc, sharerId: ann.userId, sharerSig: ann.priv.sig });
      const bensKey = await c.openKeyBox(box, { recipientId: ben.userId, recipientEnc: ben.priv.enc, sharerSig: ann.pub.sig });
      const envelope = await c.encryptMessage({ roomId: room, senderId: ann.userId, epoch: 1, epochKey, senderSig: ann.priv.sig, content: c.textContent('hi **ben** 👋') });
      const content = await c.decryptMessage({ ...envelope, senderId: ann.userId }, { epochKey: bensKey, senderSig: ann.pub.sig });
      const tampered = await c
        .decryptMessage({ ...envelope, senderId: ann.userId, epoch: 2 }, { epochKey: bensKey, senderSig: ann.pub.sig })
        .catch((e: { name: string; code: string }) => `${e.name}/${e.code}`);
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
      const place = { roomId: room, fileId: crypto.randomUUID() };
      const file = await c.encryptFile(png, 'dot.png', place);
      const back = await c.decryptFile(file.ciphertext, file.descriptor, place);
      const oversize = await c.encryptFile(new Uint8Array(8 * 1024 * 1024 + 1), 'big.txt', place).catch((e: { code: string }) => e.code);
      const privateExportable = await crypto.subtle.exportKey('pkcs8', ann.priv.sig).then(() => true, () => false);
      return {
        body: content.body,
        tampered,
        fileRoundTrip: back.length === png.length && back.every((b: number, i: number) => b === png[i]),
        oversize,
        privateExportable,
        sameSafetyNumber: (await c.safetyNumber(ann, ben)) === (await c.safetyNumber(ben, ann)),
      };
    });
    expect(result).toEqual({
      body: 'hi **ben** 👋',
      tampered: 'SignatureError/bad-signature',
      fileRoundTrip: true,
      oversize: 'file-too-large',
      privateExportable: false,
      sameSafetyNumber: true,
    });
  });

  it('runs membership v2: genesis, invite, join proof, admission, admitted set, epoch commitment', async () => {
    const result = await page.evaluate(async () => {
      const c = await import('@conclave/crypto' as string);
      const v = await (await fetch('/test-vectors.json')).json();
      const b64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
      const signer = (who: { privateKeys: { sig: string } }) => crypto.subtle.importKey('pkcs8', b64(who.privateKeys.sig), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      const { alice, bob } = v.identities;
      const room = 'c0ffee00-0000-4000-8000-000000000001';
      const code = 'M4PW';
      const genesis = await c.signGenesis({ roomId: room, creatorId: alice.userId, creatorKeys: alice.publicKeys, creatorSig: await signer(alice) });
      const epochKey = await c.generateEpochKey();
      const announcement = await c.announceEpoch({ roomId: room, epoch: 1, makerId: alice.userId, epochKey, makerSig: await signer(alice) });

      // alice makes an invite; bob proves with the link's secret; alice opens the sealed verifier and checks
      const secret = c.newInviteSecret();
      const inviteId = await c.inviteIdFromSecret(secret);
      const sealed = await c.sealVerifier({ roomId: room, epoch: 1, epochKey, verifierId: inviteId, verifier: await c.inviteVerifier(secret) });
      const bobJoins = { code, joinerId: bob.userId, joinerKeys: bob.publicKeys };
      const proof = await c.joinProof(await c.inviteVerifier(secret), bobJoins);
      const verifier = await c.openVerifier({ roomId: room, verifierId: inviteId, sealed, epochKey });
      const proofHolds = await c.checkJoinProof(verifier, bobJoins, proof);
      const substitutedKeys = await c.checkJoinProof(verifier, { ...bobJoins, joinerKeys: alice.publicKeys }, proof);
      const admission = await c.signAdmission({ roomId: room, memberId: bob.userId, memberKeys: bob.publicKeys, admitterId: alice.userId, via: 'invite', admitterSig: await signer(alice) });

      const keys = new Map([[alice.userId, alice.publicKeys], [bob.userId, bob.publicKeys]]);
      const members = [alice, bob, { userId: 'inserted-by-sql', publicKeys: bob.publicKeys }].map(({ userId, publicKeys }) => ({ userId, publicKeys }));
      const admitted = await c.admittedMembers({ roomId: room, genesis, admissions: [admission], members, keysOf: async (id: string) => keys.get(id) });
      const password = await c.deriveRoomPassword('amber lantern', code);
      return {
        proofHolds,
        substitutedKeys,
        admitted: [...admitted.keys()].sort(),
        commitmentHolds: await c.keyMatchesCommitment(epochKey, announcement),
        otherKeyCommits: await c.keyMatchesCommitment(await c.generateEpochKey(), announcement),
        announcementVerifies: await c.verifyEpochAnnouncement(announcement, alice.publicKeys).then(() => true),
        inviteIdLength: inviteId.length,
        joinKeyBytes: b64(password.joinKey).length,
        wrongRoom: await c.openVerifier({ roomId: 'elsewhere', verifierId: inviteId, sealed, epochKey }).catch((e: { code: string }) => e.code),
      };
    });
    const vectors = JSON.parse(readFileSync(join(REPO_ROOT, 'libs/crypto/test-vectors.json'), 'utf8'));
    expect(result).toEqual({
      proofHolds: true,
      substitutedKeys: false,
      // the member row the server could insert is not admitted
      admitted: [vectors.identities.alice.userId, vectors.identities.bob.userId].sort(),
      commitmentHolds: true,
      otherKeyCommits: false,
      announcementVerifies: true,
      inviteIdLength: 22,
      joinKeyBytes: 32,
      wrongRoom: 'decryption-failed',
    });
  });
});
