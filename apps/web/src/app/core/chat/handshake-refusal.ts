import type { HandshakeRefusal } from '@conclave/contracts';

/** After 'unavailable': the database is usually back within seconds. */
export const RETRY_UNAVAILABLE_MS = 3_000;
/** After 'rate-limited' (every socket of the account open): another tab must close first; no need to knock often. */
export const RETRY_TOO_MANY_MS = 30_000;

/**
 * When to try again after the server refused the handshake (the error of socket.io-client's
 * connect_error), or undefined when trying again cannot help (sign in first). socket.io-client
 * retries lost connections by itself, but not a handshake the server refused.
 */
export function retryAfterRefusal(error: Error & { data?: unknown }): number | undefined {
  const code = (error.data as Partial<HandshakeRefusal> | undefined)?.code;
  if (code === 'unavailable') return RETRY_UNAVAILABLE_MS;
  if (code === 'rate-limited') return RETRY_TOO_MANY_MS;
  return undefined;
}
