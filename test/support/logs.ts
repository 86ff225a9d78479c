import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { ServerProcess } from './server.js';

/** How much a server had written when it was taken, so a test looks only at what came after. */
export interface LogMark {
  stdout: number;
  stderr: number;
}

export function logMark(server: ServerProcess): LogMark {
  return { stdout: server.stdout.length, stderr: server.stderr.length };
}

/**
 * What the server wrote since `mark` that an operator would be alerted by: error- and fatal-level
 * lines of the JSON log (pino levels 50 and 60), and anything at all on stderr.
 */
export function errorOutputSince(server: ServerProcess, mark: LogMark): string[] {
  const errors = server.stdout.slice(mark.stdout).split('\n').filter((line) => /"level":(50|60)\b/.test(line));
  const stderr = server.stderr.slice(mark.stderr).split('\n').filter((line) => line.trim() !== '');
  return [...errors, ...stderr];
}

/**
 * Asks GET /ping (the process still answers) and waits until that request's own log line has been
 * read: a request is logged once its answer is out, so whatever the server logged about earlier
 * requests is in `server.stdout` by then. Needs LOG_LEVEL info or lower.
 */
export async function pingAndReadLog(server: ServerProcess): Promise<void> {
  const id = randomUUID();
  await request(server.origin).get('/ping').set('X-Request-Id', id).ca(server.certificate).expect(200);
  for (let waited = 0; !server.stdout.includes(`"id":"${id}"`); waited += 20) {
    if (waited > 5000) throw new Error(`the log line of GET /ping ${id} never came`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
