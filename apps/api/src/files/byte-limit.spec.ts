import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BodyLengthError, ByteLimit } from './byte-limit.js';

async function pass(chunks: Buffer[], expected: number): Promise<{ out: Buffer; limit: ByteLimit }> {
  const limit = new ByteLimit(expected);
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), limit, async function* (source) {
    for await (const chunk of source) out.push(chunk as Buffer);
  });
  return { out: Buffer.concat(out), limit };
}

describe('ByteLimit', () => {
  it('passes a body of exactly the declared length through unchanged', async () => {
    const { out, limit } = await pass([Buffer.from('abc'), Buffer.from('defg')], 7);
    expect(out.toString()).toBe('abcdefg');
    expect(limit.bytes).toBe(7);
  });

  it('fails as soon as the bytes run past the declared length, before passing the chunk on', async () => {
    const seen: Buffer[] = [];
    const limit = new ByteLimit(4);
    const run = pipeline(Readable.from([Buffer.from('abc'), Buffer.from('de'), Buffer.from('never read')]), limit, async function* (source) {
      for await (const chunk of source) seen.push(chunk as Buffer);
    });
    await expect(run).rejects.toEqual(new BodyLengthError('longer'));
    // Stopped at the chunk that crossed the bound: the next one was never taken, none of it passed on.
    expect(limit.bytes).toBe(5);
    expect(Buffer.concat(seen).toString()).not.toContain('d');
  });

  it('fails a body that ends short of the declared length', async () => {
    await expect(pass([Buffer.from('abc')], 4)).rejects.toEqual(new BodyLengthError('shorter'));
  });
});
