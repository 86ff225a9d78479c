import { randomUUID } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { CHAT_EVENTS, FILE_BODY_TYPE, FILE_PATHS, FILE_TYPE_PARAM, type FileContent, type SendResult } from '@conclave/contracts';
import { encryptFile, type EncryptedFile, encryptMessage } from '@conclave/crypto';
import type { Socket } from 'socket.io-client';
import type { Response } from 'superagent';
import type { Account, Client } from './accounts.js';
import type { ServerProcess } from './server.js';
import { askRaw } from './sockets.js';

/** A small real file of each allowed type (content that passes checkFileType), with a marker to scan for. */
export function sampleFiles(marker: string): Array<{ name: string; bytes: Uint8Array<ArrayBuffer> }> {
  const text = (s: string) => new Uint8Array(Buffer.from(s));
  const withHeader = (header: number[], rest: string) => new Uint8Array(Buffer.concat([Buffer.from(header), Buffer.from(rest)]));
  return [
    { name: 'notes.txt', bytes: text(`plain text ${marker} for everyone`) },
    { name: 'report.pdf', bytes: text(`%PDF-1.7\n% ${marker} in a document\n%%EOF\n`) },
    { name: 'picture.png', bytes: withHeader([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `IHDR ${marker} pixels`) },
    { name: 'photo.jpg', bytes: withHeader([0xff, 0xd8, 0xff, 0xe0], `JFIF ${marker} photo`) },
    { name: 'scan.jpeg', bytes: withHeader([0xff, 0xd8, 0xff, 0xdb], `quant ${marker} scan`) },
    { name: 'anim.gif', bytes: text(`GIF89a ${marker} frames`) },
  ];
}

/** Encrypts as the browser does, under a fresh file id for `roomId`. */
export async function encryptedFile(roomId: string, name: string, bytes: Uint8Array<ArrayBuffer>): Promise<EncryptedFile & { fileId: string }> {
  const fileId = randomUUID();
  return { fileId, ...(await encryptFile(bytes, name, { roomId, fileId })) };
}

/** supertest's `.parse(…)` for a download: the body as the bytes received (a Buffer), whatever its type. */
export function bytesBody(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

/** PUT of the ciphertext as the web app sends it. */
export function upload(client: Client, code: string, fileId: string, body: Uint8Array, mime: string) {
  return client
    .put(`${FILE_PATHS.upload(code, fileId)}?${FILE_TYPE_PARAM}=${encodeURIComponent(mime)}`)
    .set('Content-Type', FILE_BODY_TYPE)
    .send(Buffer.from(body));
}

/** The file message carrying `file`, sent with message:send's fileId (which may be set to something else to test refusals). */
export async function sendFileMessage(
  socket: Socket,
  sender: Account,
  room: { id: string; epoch: number; epochKey: CryptoKey },
  file: EncryptedFile & { fileId: string },
  fileId: string | undefined = file.fileId,
) {
  const content: FileContent = { type: 'file', fileId: file.fileId, ...file.descriptor, sentAt: Date.now() };
  const envelope = await encryptMessage({ roomId: room.id, senderId: sender.userId, epoch: room.epoch, epochKey: room.epochKey, senderSig: sender.identity.sig.privateKey, content });
  return { envelope, reply: await askRaw<SendResult>(socket, CHAT_EVENTS.send, { ...envelope, ...(fileId ? { fileId } : {}) }) };
}

export interface RawAnswer {
  /** Everything the server sent. */
  text: string;
  status: number;
  /** The server closed the connection (without the client ending it first). */
  closedByServer: boolean;
}

/**
 * One HTTP/1.1 request over TLS with the server's certificate, written by hand: `head` is sent, then
 * `body` (if any); `endAfterBody` false leaves the connection open so the server must answer (or
 * close) without the body. Resolves when the server closes, or `waitMs` after its first answer.
 */
export function rawRequest(
  server: ServerProcess,
  head: string,
  { body, destroyAfterBody = false, waitMs = 1500 }: { body?: Buffer; destroyAfterBody?: boolean; waitMs?: number } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let text = '';
    let closedByServer = false;
    let timer: NodeJS.Timeout | undefined;
    const socket = tlsConnect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: server.certificate }, () => {
      socket.write(head.replace(/\n/g, '\r\n') + '\r\n');
      if (body) socket.write(body);
      if (destroyAfterBody) setTimeout(() => socket.destroy(), 200);
    });
    const done = () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ text, status, closedByServer });
    };
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      timer ??= setTimeout(() => socket.destroy(), waitMs);
    });
    socket.on('end', () => (closedByServer = true));
    socket.on('close', done);
    socket.on('error', (err) => (text ? undefined : reject(err)));
  });
}

/** The request head of an upload, with the session cookie and Origin a browser sends. */
export function uploadHead(server: ServerProcess, cookie: string, code: string, fileId: string, mime: string, contentLength: number): string {
  return [
    `PUT ${FILE_PATHS.upload(code, fileId)}?${FILE_TYPE_PARAM}=${encodeURIComponent(mime)} HTTP/1.1`,
    `Host: localhost:${server.port}`,
    `Origin: ${server.origin}`,
    `Cookie: ${cookie}`,
    `Content-Type: ${FILE_BODY_TYPE}`,
    `Content-Length: ${contentLength}`,
    '',
  ].join('\n');
}
