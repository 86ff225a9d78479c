import { Transform, type TransformCallback } from 'node:stream';

/** Why an upload's body did not match its Content-Length: a 400 for the client, never stored. */
export class BodyLengthError extends Error {
  constructor(readonly received: 'longer' | 'shorter') {
    super(`body ${received} than Content-Length`);
    this.name = 'BodyLengthError';
  }
}

/**
 * Passes an upload's bytes through while counting them, and fails (BodyLengthError) the moment they
 * run past `expected`, or when the body ends short of it: the storage driver then never finishes an
 * object that is not exactly what the upload declared. Node's HTTP parser already stops a body at
 * its Content-Length; this is the files module's own bound, whatever the transport.
 */
export class ByteLimit extends Transform {
  private received = 0;

  constructor(private readonly expected: number) {
    super();
  }

  get bytes(): number {
    return this.received;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.expected) return done(new BodyLengthError('longer'));
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.received === this.expected ? null : new BodyLengthError('shorter'));
  }
}
