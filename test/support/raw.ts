import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

/** Sends raw bytes over plain TCP and returns everything the server answers before closing. */
export function rawExchange(port: number, payload: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = netConnect(port, '127.0.0.1', () => socket.write(payload));
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

/** Attempts a TLS handshake; resolves with the negotiated protocol and cipher, or rejects. */
export function tlsHandshake(port: number, options: ConnectionOptions): Promise<{ protocol: string | null; cipher: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ...options }, () => {
      const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.end();
      resolve(result);
    });
    socket.on('error', reject);
  });
}
