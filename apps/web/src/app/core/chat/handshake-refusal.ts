import type { HandshakeRefusal } from '@conclave/contracts';

/**
 * Whether a refused handshake (the error of socket.io-client's connect_error) is worth trying again:
 * the database was down, or the account had all its sockets open. socket.io-client retries lost
 * connections by itself, but not a handshake the server refused.
 */
export function passingRefusal(error: Error & { data?: unknown }): boolean {
  const code = (error.data as Partial<HandshakeRefusal> | undefined)?.code;
  return code === 'unavailable' || code === 'rate-limited';
}
