// The baseline of `npm run bench`: a bare Socket.IO relay on the same TLS certificate, with the
// same event names and payloads as Conclave's gateway, and nothing else (no auth, no storage, no checks).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { createRequire } from 'node:module';
import { CHAT_EVENTS } from '@conclave/contracts';

// The very Socket.IO the API runs (resolved from apps/api), so only Conclave's own work differs.
const { Server } = createRequire(new URL('../apps/api/package.json', import.meta.url))('socket.io');

const [certFile, keyFile, port] = process.argv.slice(2);
const https = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
const io = new Server(https, { pingInterval: 10_000, pingTimeout: 5_000, maxHttpBufferSize: 64 * 1024 });
let seq = 0;
io.on('connection', (socket) => {
  socket.on(CHAT_EVENTS.enter, ({ code }, ack) => {
    socket.join(code);
    ack?.({ ok: true, result: { roomId: code, code, currentEpoch: 1, lastSeq: seq } });
  });
  socket.on(CHAT_EVENTS.send, (envelope, ack) => {
    const stored = { ...envelope, senderId: 'x', seq: ++seq, createdAt: new Date().toISOString() };
    socket.to(envelope.roomId).emit(CHAT_EVENTS.message, stored);
    ack?.({ ok: true, result: { seq: stored.seq, createdAt: stored.createdAt, duplicate: false } });
  });
});
https.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
