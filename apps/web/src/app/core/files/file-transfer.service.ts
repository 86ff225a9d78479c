import { HttpBackend, HttpClient, HttpErrorResponse, HttpEventType, HttpXhrBackend } from '@angular/common/http';
import { inject, Injectable, InjectionToken, Injector, signal } from '@angular/core';
import {
  type AllowedMimeType,
  type ErrorResponse,
  FILE_BODY_TYPE,
  FILE_PATHS,
  FILE_TYPE_PARAM,
  type FileContent,
  type FileLink,
  type FileUploadResult,
  LIMITS,
} from '@conclave/contracts';
import { CryptoError, FileTypeMismatchError, UnsupportedFileTypeError } from '@conclave/crypto';
import type { Subscription } from 'rxjs';
import { ApiClient } from '../api-client.service';
import { ConversationService } from '../chat/conversation.service';
import { CryptoService } from '../crypto.service';
import { formatBytes } from './file-size';

/**
 * Uploads go through XMLHttpRequest: the app's fetch backend cannot report upload progress.
 * Specs put the testing backend here.
 */
export const UPLOAD_BACKEND = new InjectionToken<HttpBackend>('UPLOAD_BACKEND', { factory: () => inject(HttpXhrBackend) });

/** Downloads are read as a stream (progress, and a bound on what is read); specs put a fake here. */
export const DOWNLOAD_FETCH = new InjectionToken<typeof fetch>('DOWNLOAD_FETCH', { factory: () => (input, init) => globalThis.fetch(input, init) });

/** Bytes GCM adds to a file: the tag. */
const GCM_TAG_BYTES = LIMITS.fileCiphertextBytes - LIMITS.fileBytes;

/**
 * Answers to a kept link that a new link may cure: the local driver's 403 (another user's) and 410
 * (expired); a storage provider's refusal of an expired or otherwise invalid signature (Cloud Storage
 * answers 400 ExpiredToken or 403). Tried once; a 404 (the file is gone) is not.
 */
const RENEW_ON: ReadonlySet<number> = new Set([400, 401, 403, 410]);

/** A link this close to its expiry is renewed before use rather than after a refusal. */
const LINK_MARGIN_MS = 1_000;

/**
 * Downloads that run at once; the rest wait their turn in order. Each holds up to 8 MiB of
 * ciphertext and its plaintext while it runs, so a room full of files cannot pull them all at once.
 */
export const CONCURRENT_DOWNLOADS = 2;

/** A file the browser will not share (type, content or size): nothing was uploaded. */
export class FileRefusedError extends Error {
  override readonly name = 'FileRefusedError';
}

/** A download that is not the file its message describes (hash, decryption, size or type): never shown. */
export class FileIntegrityFailure extends Error {
  override readonly name = 'FileIntegrityFailure';
}

/** A download that did not arrive (network, link refused, file gone): worth another try. */
export class FileDownloadError extends Error {
  override readonly name = 'FileDownloadError';
}

/** A download called off (by its caller, or because the session ended) before it finished. */
export class FileDownloadCancelled extends Error {
  override readonly name = 'FileDownloadCancelled';
  constructor() {
    super('The download was cancelled');
  }
}

/** The room a file belongs to: its id goes into the file's AAD, its code into the routes. */
export interface FileRoom {
  id: string;
  code: string;
}

/** A file checked in the browser: allowed by its name and its bytes, within the size limit. */
export interface CheckedFile {
  name: string;
  mime: AllowedMimeType;
  bytes: Uint8Array<ArrayBuffer>;
}

/** An upload on screen, until its message is queued, it is cancelled, or its failure is dismissed. */
export interface UploadState {
  fileId: string;
  roomId: string;
  name: string;
  /** Plaintext bytes. */
  size: number;
  phase: 'encrypting' | 'uploading' | 'failed';
  /** Share of the ciphertext sent, 0 to 1. */
  progress: number;
  problem?: string;
}

/** Progress of a download: bytes received of the ciphertext's expected length. */
export type DownloadProgress = (received: number, total: number) => void;

class UploadCancelled extends Error {}

interface CachedLink {
  asked: Promise<FileLink>;
  /** Known once the server answered (milliseconds since 1970, the server's clock). */
  expiresAt?: number;
}

/**
 * Encrypted file sharing in the browser (docs/protocol.md §10): checks a file before anything leaves
 * (type by name and content, size), encrypts it for its room and a fresh id, uploads only the
 * ciphertext with progress and cancel, then queues the file message in the conversation's outbox.
 * Downloads wait for one of CONCURRENT_DOWNLOADS turns, ask for a link (kept until it expires,
 * renewed once when refused), stream the ciphertext, and decrypt it with every check before anything
 * is shown. Links, uploads and downloads belong to the session: clear() (the chat stopping at
 * sign-out) forgets the links and calls off every upload and download.
 */
@Injectable({ providedIn: 'root' })
export class FileTransferService {
  private readonly crypto = inject(CryptoService);
  private readonly api = inject(ApiClient);
  // Looked up when a file message is sent: ChatService clears this service at sign-out, and the conversation needs ChatService.
  private readonly injector = inject(Injector);
  private readonly uploadHttp = new HttpClient(inject(UPLOAD_BACKEND));
  private readonly fetch = inject(DOWNLOAD_FETCH);

  readonly uploads = signal<readonly UploadState[]>([]);
  private readonly cancels = new Map<string, () => void>();
  private readonly links = new Map<string, CachedLink>();
  /** Aborted when the session ends: calls off what it started. */
  private session = new AbortController();
  private runningDownloads = 0;
  /** Downloads waiting for a turn, first come first served. */
  private readonly waitingDownloads: Array<() => void> = [];

  /** The file's bytes and type if it may be shared; FileRefusedError with a reason otherwise. The size is checked before reading. */
  async check(file: File): Promise<CheckedFile> {
    if (file.size > LIMITS.fileBytes) {
      throw new FileRefusedError(`"${file.name}" is ${formatBytes(file.size)}: files can be at most ${formatBytes(LIMITS.fileBytes)}`);
    }
    if (file.size === 0) throw new FileRefusedError(`"${file.name}" is empty: there is nothing to share`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    try {
      return { name: file.name, mime: this.crypto.checkFileType(bytes, file.name), bytes };
    } catch (err) {
      if (err instanceof UnsupportedFileTypeError || err instanceof FileTypeMismatchError) throw new FileRefusedError(err.message);
      throw err;
    }
  }

  /**
   * Checks, encrypts and uploads a file, then sends its message through the outbox. Refusals
   * (FileRefusedError) are thrown before anything is uploaded; later failures stay in `uploads`.
   */
  async share(room: FileRoom, file: File): Promise<void> {
    const session = this.session.signal;
    const checked = await this.check(file);
    if (session.aborted) return;
    const fileId = globalThis.crypto.randomUUID();
    let cancelled = false;
    this.cancels.set(fileId, () => (cancelled = true));
    this.uploads.update((all) => [...all, { fileId, roomId: room.id, name: checked.name, size: checked.bytes.length, phase: 'encrypting', progress: 0 }]);
    try {
      const { ciphertext, descriptor } = await this.crypto.encryptFile(checked.bytes, checked.name, { roomId: room.id, fileId });
      if (cancelled) throw new UploadCancelled();
      this.patch(fileId, { phase: 'uploading' });
      await this.put(room.code, fileId, descriptor.mime, ciphertext);
      this.forget(fileId);
      this.injector.get(ConversationService).sendFile(room.id, { type: 'file', fileId, ...descriptor, sentAt: Date.now() });
    } catch (err) {
      if (err instanceof UploadCancelled) return this.forget(fileId);
      this.cancels.delete(fileId);
      this.patch(fileId, { phase: 'failed', problem: uploadProblem(err) });
    }
  }

  /** Stops an upload (the request is aborted); nothing is sent, and the server sweeps any pending bytes. */
  cancel(fileId: string): void {
    this.cancels.get(fileId)?.();
  }

  /** Removes a failed upload from the screen. */
  dismiss(fileId: string): void {
    this.forget(fileId);
  }

  /**
   * The session ended (sign-out, or the server ended it): uploads in flight are aborted and every
   * upload leaves the screen, downloads running or waiting are called off, and no link is kept.
   */
  clear(): void {
    for (const cancel of [...this.cancels.values()]) cancel();
    this.cancels.clear();
    this.uploads.set([]);
    this.session.abort();
    this.session = new AbortController();
    this.links.clear();
  }

  /** A download link for a file, kept until shortly before it expires (links are never stored in messages). */
  link(code: string, fileId: string): Promise<FileLink> {
    const cached = this.links.get(fileId);
    if (cached && (cached.expiresAt === undefined || cached.expiresAt - Date.now() > LINK_MARGIN_MS)) return cached.asked;
    const entry: CachedLink = { asked: this.api.fileLink(code, fileId) };
    this.links.set(fileId, entry);
    entry.asked.then(
      (link) => (entry.expiresAt = Date.parse(link.expiresAt)),
      () => this.links.get(fileId) === entry && this.links.delete(fileId),
    );
    return entry.asked;
  }

  /**
   * Fetches, checks and decrypts a file message's file for the room it was read in, when its turn
   * comes. An expired or refused link is renewed once. FileIntegrityFailure when the bytes are not
   * this file; FileDownloadCancelled when `signal` aborts (or the session ends) first, a waiting
   * download leaving the queue; FileDownloadError otherwise.
   */
  async download(room: FileRoom, content: FileContent, onProgress?: DownloadProgress, signal?: AbortSignal): Promise<Blob> {
    const cancelled = signal ? AbortSignal.any([signal, this.session.signal]) : this.session.signal;
    await this.downloadTurn(cancelled);
    try {
      return await this.fetchAndOpen(room, content, cancelled, onProgress);
    } finally {
      this.runningDownloads--;
      this.nextDownload();
    }
  }

  /** Resolves when a download may run (counted in runningDownloads); rejects if it is called off while waiting. */
  private downloadTurn(cancelled: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (cancelled.aborted) return reject(new FileDownloadCancelled());
      const start = () => {
        cancelled.removeEventListener('abort', leave);
        this.runningDownloads++;
        resolve();
      };
      const leave = () => {
        const at = this.waitingDownloads.indexOf(start);
        if (at >= 0) this.waitingDownloads.splice(at, 1);
        reject(new FileDownloadCancelled());
      };
      cancelled.addEventListener('abort', leave, { once: true });
      this.waitingDownloads.push(start);
      this.nextDownload();
    });
  }

  private nextDownload(): void {
    while (this.runningDownloads < CONCURRENT_DOWNLOADS && this.waitingDownloads.length) this.waitingDownloads.shift()!();
  }

  private async fetchAndOpen(room: FileRoom, content: FileContent, cancelled: AbortSignal, onProgress?: DownloadProgress): Promise<Blob> {
    let response = await this.fetchLinked(room.code, content.fileId, cancelled);
    if (RENEW_ON.has(response.status)) {
      // Expired, or this browser's clock and the server's disagree: ask once more.
      this.links.delete(content.fileId);
      response = await this.fetchLinked(room.code, content.fileId, cancelled);
    }
    if (!response.ok) throw new FileDownloadError(`"${content.name}" could not be downloaded: ${await responseProblem(response)}`);
    const ciphertext = await readCiphertext(response, content, cancelled, onProgress);
    try {
      const plaintext = await this.crypto.decryptFile(ciphertext, content, { roomId: room.id, fileId: content.fileId });
      if (cancelled.aborted) throw new FileDownloadCancelled();
      // A shared TXT is valid UTF-8 (decryptFile checked): say so, or a tab opening it guesses Latin-1.
      return new Blob([plaintext], { type: content.mime === 'text/plain' ? 'text/plain;charset=utf-8' : content.mime });
    } catch (err) {
      if (err instanceof CryptoError) throw new FileIntegrityFailure(`"${content.name}" failed its integrity check: ${err.message}`);
      throw err;
    }
  }

  private async fetchLinked(code: string, fileId: string, cancelled: AbortSignal): Promise<Response> {
    let link: FileLink;
    try {
      link = await this.link(code, fileId);
    } catch (err) {
      if (cancelled.aborted) throw new FileDownloadCancelled();
      throw new FileDownloadError((err as Error).message);
    }
    if (cancelled.aborted) throw new FileDownloadCancelled();
    try {
      // Same-origin (local storage) sends the session cookie the link is bound to; a storage origin gets none.
      return await this.fetch(link.url, { credentials: 'same-origin', cache: 'no-store', signal: cancelled });
    } catch {
      if (cancelled.aborted) throw new FileDownloadCancelled();
      throw new FileDownloadError('Cannot reach the file storage: check your connection and try again');
    }
  }

  private put(code: string, fileId: string, mime: AllowedMimeType, ciphertext: Uint8Array<ArrayBuffer>): Promise<FileUploadResult> {
    return new Promise((resolve, reject) => {
      let subscription: Subscription | undefined = undefined;
      this.cancels.set(fileId, () => {
        subscription?.unsubscribe();
        reject(new UploadCancelled());
      });
      subscription = this.uploadHttp
        .put<FileUploadResult>(FILE_PATHS.upload(code, fileId), wholeBuffer(ciphertext), {
          params: { [FILE_TYPE_PARAM]: mime },
          headers: { 'Content-Type': FILE_BODY_TYPE },
          reportProgress: true,
          observe: 'events',
        })
        .subscribe({
          next: (event) => {
            if (event.type === HttpEventType.UploadProgress) this.patch(fileId, { progress: event.total ? event.loaded / event.total : 0 });
            if (event.type === HttpEventType.Response) resolve(event.body!);
          },
          error: reject,
        });
    });
  }

  private patch(fileId: string, changes: Partial<UploadState>): void {
    this.uploads.update((all) => all.map((u) => (u.fileId === fileId ? { ...u, ...changes } : u)));
  }

  private forget(fileId: string): void {
    this.cancels.delete(fileId);
    this.uploads.update((all) => all.filter((u) => u.fileId !== fileId));
  }
}

/** The bytes as an ArrayBuffer of their own (copied only when they are a view into a larger one). */
function wholeBuffer(bytes: Uint8Array<ArrayBuffer>): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
}

function uploadProblem(err: unknown): string {
  if (err instanceof HttpErrorResponse) {
    if (err.status === 0) return 'Cannot reach the server: check your connection and try again';
    const body = err.error as Partial<ErrorResponse> | null;
    return [body?.message].flat().filter(Boolean).join('; ') || `The server answered ${err.status}`;
  }
  return (err as Error).message;
}

async function responseProblem(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const message = (JSON.parse(text) as Partial<ErrorResponse>).message;
    if (message) return [message].flat().join('; ');
  } catch {
    // Not the API's JSON (a storage provider's XML, say): say the status.
  }
  return `the storage answered ${response.status}`;
}

/** Reads the body as it arrives, never more than the ciphertext a file of this size has. */
async function readCiphertext(response: Response, content: FileContent, cancelled: AbortSignal, onProgress?: DownloadProgress): Promise<Uint8Array<ArrayBuffer>> {
  const expected = content.size + GCM_TAG_BYTES;
  const ciphertext = new Uint8Array(expected);
  let received = 0;
  const reader = response.body?.getReader();
  if (!reader) throw new FileDownloadError(`"${content.name}" could not be downloaded: the answer had no body`);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (cancelled.aborted) {
        await reader.cancel();
        throw new FileDownloadCancelled();
      }
      if (received + value.length > expected) {
        await reader.cancel();
        throw new FileIntegrityFailure(`"${content.name}" failed its integrity check: the download is longer than the file`);
      }
      ciphertext.set(value, received);
      received += value.length;
      onProgress?.(received, expected);
    }
  } catch (err) {
    if (err instanceof FileIntegrityFailure || err instanceof FileDownloadCancelled) throw err;
    if (cancelled.aborted) throw new FileDownloadCancelled();
    throw new FileDownloadError(`"${content.name}" could not be downloaded: the connection broke off`);
  }
  // A short download fails the ciphertext hash in decryptFile, and is reported as such.
  return received === expected ? ciphertext : ciphertext.slice(0, received);
}
