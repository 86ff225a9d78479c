import { createServer, type Server, type Socket } from 'node:net';
import { BadRequestException } from '@nestjs/common';
import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { DatabaseUnavailable, isDatabaseUnavailable } from './database-unavailable.js';

/** What pg really throws when it connects with `config`. */
async function pgError(config: pg.ClientConfig): Promise<Error> {
  const client = new pg.Client(config);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    return err as Error;
  } finally {
    await client.end().catch(() => undefined);
  }
  throw new Error('expected the connection to fail');
}

/** A TCP server that accepts connections and never says anything: a stopped postmaster, as the client sees it. */
function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => sockets.add(socket));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        close: () => new Promise((done) => (sockets.forEach((s) => s.destroy()), server.close(() => done()))),
      }),
    ),
  );
}

/** A pg DatabaseError as the protocol parser builds it from an ErrorResponse. */
function serverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

describe('isDatabaseUnavailable', () => {
  it('recognises a refused connection, as pg reports it', async () => {
    const silent = await silentServer();
    const port = silent.port;
    await silent.close(); // nothing listens there now
    const err = await pgError({ host: '127.0.0.1', port, connectionTimeoutMillis: 2000 });
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it("recognises the pool's connection timeout on a server that accepts and never answers", async () => {
    const silent = await silentServer();
    try {
      const pool = new pg.Pool({ host: '127.0.0.1', port: silent.port, connectionTimeoutMillis: 200 });
      pool.on('error', () => undefined); // idle clients: none here, but a pool without a listener is a crash waiting
      const poolError = await pool.query('SELECT 1').then(() => undefined, (err: Error) => err);
      await pool.end();
      expect(poolError?.message).toMatch(/timeout/);
      expect(isDatabaseUnavailable(poolError)).toBe(true);
    } finally {
      await silent.close();
    }
  });

  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P02', 'terminating connection because of crash of another server process'],
    ['57P03', 'the database system is starting up'],
    ['57014', 'canceling statement due to statement timeout'],
    ['08006', 'connection failure'],
    ['08001', 'could not connect'],
    ['53300', 'sorry, too many clients already'],
    ['40P01', 'deadlock detected'],
  ])('recognises SQLSTATE %s (%s)', (code, message) => {
    expect(isDatabaseUnavailable(serverError(code, message))).toBe(true);
  });

  it.each(['Connection terminated unexpectedly', 'Query read timeout', 'timeout exceeded when trying to connect', 'Client has encountered a connection error and is not queryable'])(
    'recognises pg saying "%s"',
    (message) => expect(isDatabaseUnavailable(new Error(message))).toBe(true),
  );

  it('looks through TypeORM, cause and AggregateError (both address families refused)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], serverError('57P01', 'terminating connection')))).toBe(true);
    expect(isDatabaseUnavailable(new Error('session store', { cause: new Error('Query read timeout') }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([refused, refused]))).toBe(true);
  });

  it.each([
    ['a unique violation', serverError('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error', serverError('42601', 'syntax error at or near "SELEC"')],
    ['invalid text for a uuid', new QueryFailedError('SELECT $1::uuid', ['x'], serverError('22P02', 'invalid input syntax for type uuid'))],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a 400', new BadRequestException('name must be a string')],
    ['a message that merely mentions a timeout', new Error('Query read timeout exceeded in the parser')],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('leaves %s alone', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('survives an error that is its own cause', () => {
    const looped: Error & { cause?: unknown } = new Error('loop');
    looped.cause = looped;
    expect(isDatabaseUnavailable(looped)).toBe(false);
  });

  it('is what `instanceof DatabaseUnavailable` (and so @Catch) tests', () => {
    expect(serverError('57P01', 'terminating connection') instanceof DatabaseUnavailable).toBe(true);
    expect(serverError('23505', 'duplicate key') instanceof DatabaseUnavailable).toBe(false);
  });
});
