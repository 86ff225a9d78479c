import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalFileStorage } from './local.storage.js';

const FILE_ID = '0a0b0c0d-1e1f-4a4b-8c8d-9e9f0a0b0c0d';
const ANN = '11111111-1111-4111-8111-111111111111';
const BEN = '22222222-2222-4222-8222-222222222222';

describe('LocalFileStorage', () => {
  let root: string;
  let storage: LocalFileStorage;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'conclave-files-'));
    storage = new LocalFileStorage(root, 'a link secret of at least thirty-two characters');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const linkParts = async (userId: string, expiresAt: Date) => {
    const url = new URL(await storage.readLink(FILE_ID, userId, expiresAt), 'https://x');
    return { path: url.pathname, expires: url.searchParams.get('expires')!, sig: url.searchParams.get('sig')! };
  };

  it('signs links for the user they were issued to, until they expire', async () => {
    const now = Date.now();
    const { path, expires, sig } = await linkParts(ANN, new Date(now + 60_000));
    expect(path).toBe(`/api/files/${FILE_ID}`);
    expect(storage.checkLink(FILE_ID, ANN, expires, sig, now)).toBe('valid');
    expect(storage.checkLink(FILE_ID, BEN, expires, sig, now)).toBe('bad-signature');
    expect(storage.checkLink('0a0b0c0d-1e1f-4a4b-8c8d-000000000000', ANN, expires, sig, now)).toBe('bad-signature');
    expect(storage.checkLink(FILE_ID, ANN, String(Number(expires) + 1), sig, now)).toBe('bad-signature');
    expect(storage.checkLink(FILE_ID, ANN, expires, sig.slice(0, -1), now)).toBe('bad-signature');
    expect(storage.checkLink(FILE_ID, ANN, expires, undefined, now)).toBe('bad-signature');
    expect(storage.checkLink(FILE_ID, ANN, '1e9', sig, now)).toBe('bad-signature');
    expect(storage.checkLink(FILE_ID, ANN, expires, sig, now + 61_000)).toBe('expired');
    const other = new LocalFileStorage(root, 'another secret of at least thirty-two characters!');
    expect(other.checkLink(FILE_ID, ANN, expires, sig, now)).toBe('bad-signature');
  });

  it('stores a whole object under its id, and leaves neither object nor .part when the body fails', async () => {
    await storage.save(FILE_ID, Readable.from([Buffer.from('cipher'), Buffer.from('text')]), 10);
    expect(readFileSync(join(root, '0a', FILE_ID), 'utf8')).toBe('ciphertext');
    const opened = await storage.open(FILE_ID);
    expect(opened?.bytes).toBe(10);
    opened?.stream.destroy();

    const failing = new Readable({ read() {} });
    const saving = storage.save('0b0b0c0d-1e1f-4a4b-8c8d-9e9f0a0b0c0d', failing, 10);
    failing.push(Buffer.from('half'));
    setImmediate(() => failing.destroy(new Error('client went away')));
    await expect(saving).rejects.toThrow('client went away');
    expect(readdirSync(join(root, '0b'))).toEqual([]);

    await storage.delete([FILE_ID, '0c0b0c0d-1e1f-4a4b-8c8d-9e9f0a0b0c0d']);
    expect(await storage.open(FILE_ID)).toBeUndefined();
  });
});
