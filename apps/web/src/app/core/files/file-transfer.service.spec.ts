import { HttpBackend, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { type FileContent, type FileLink, LIMITS } from '@conclave/contracts';
import { encryptFile } from '@conclave/crypto';
import { ChatService } from '../chat/chat.service';
import { ConversationService } from '../chat/conversation.service';
import {
  CONCURRENT_DOWNLOADS,
  DOWNLOAD_FETCH,
  FileDownloadCancelled,
  FileDownloadError,
  FileIntegrityFailure,
  FileRefusedError,
  FileTransferService,
  UPLOAD_BACKEND,
} from './file-transfer.service';

const ROOM = { id: '0b8a3f8e-4a34-4b59-9d6e-2f0a2c1d9e01', code: 'KQ7M' };
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5]);
const flush = () => new Promise((resolve) => setTimeout(resolve, 10));

/** The file message content and ciphertext a sender's browser makes, with libs/crypto itself. */
async function shared(bytes: Uint8Array<ArrayBuffer>, name: string): Promise<{ content: FileContent; ciphertext: Uint8Array<ArrayBuffer> }> {
  const fileId = crypto.randomUUID();
  const { ciphertext, descriptor } = await encryptFile(bytes, name, { roomId: ROOM.id, fileId });
  return { content: { type: 'file', fileId, ...descriptor, sentAt: Date.now() }, ciphertext };
}

/** A response whose body arrives in two chunks, as a network stream does. */
function streamed(bytes: Uint8Array, status = 200): Response {
  const half = Math.floor(bytes.length / 2);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.slice(0, half));
      controller.enqueue(bytes.slice(half));
      controller.close();
    },
  });
  return new Response(body, { status });
}

/** An answer held back until the test lets it through. */
function held(): { answer: () => Promise<Response>; release: (response: Response) => void } {
  let release!: (response: Response) => void;
  const response = new Promise<Response>((resolve) => (release = resolve));
  return { answer: () => response, release };
}

describe('FileTransferService', () => {
  let http: HttpTestingController;
  let files: FileTransferService;
  let sent: Array<{ roomId: string; file: FileContent }>;
  let fetched: string[];
  let answers: Array<() => Response | Promise<Response>>;

  beforeEach(() => {
    sent = [];
    fetched = [];
    answers = [];
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: UPLOAD_BACKEND, useExisting: HttpBackend },
        { provide: ConversationService, useValue: { sendFile: (roomId: string, file: FileContent) => sent.push({ roomId, file }) } },
        {
          provide: DOWNLOAD_FETCH,
          // As fetch does, an aborted signal rejects the request (AbortError).
          useValue: (url: string, init?: RequestInit) => {
            fetched.push(url);
            const answer = answers.shift();
            if (!answer) return Promise.reject(new Error(`unexpected fetch of ${url}`));
            return new Promise<Response>((resolve, reject) => {
              init?.signal?.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError')));
              Promise.resolve(answer()).then(resolve, reject);
            });
          },
        },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    files = TestBed.inject(FileTransferService);
  });

  afterEach(() => http.verify());

  async function expectUpload() {
    for (let i = 0; i < 200; i++) {
      const pending = http.match((r) => r.method === 'PUT');
      if (pending.length) return pending[0]!;
      await flush();
    }
    throw new Error('no upload');
  }

  async function answerLink(fileId: string, link: FileLink) {
    for (let i = 0; i < 200; i++) {
      const pending = http.match({ method: 'POST', url: `/api/rooms/${ROOM.code}/files/${fileId}/link` });
      if (pending.length) return pending[0]!.flush(link);
      await flush();
    }
    throw new Error('no link request');
  }

  const linkUrl = (fileId: string) => `/api/rooms/${ROOM.code}/files/${fileId}/link`;
  /** Link requests made so far, answered or not (they are taken out of the pending list). */
  const linksAsked = (fileId: string) => http.match({ method: 'POST', url: linkUrl(fileId) });

  describe('check', () => {
    it('refuses a file over 8 MiB by its size, before reading it', async () => {
      const big = new File([new Uint8Array(LIMITS.fileBytes + 1)], 'big.png');
      const read = vi.spyOn(big, 'arrayBuffer');
      await expect(files.check(big)).rejects.toThrow(new FileRefusedError('"big.png" is 8.0 MiB: files can be at most 8.0 MiB'));
      expect(read).not.toHaveBeenCalled();
    });

    it('refuses a type by its name and a renamed file by its content', async () => {
      await expect(files.check(new File([PNG], 'tool.exe'))).rejects.toThrow(/"tool\.exe": only TXT, PDF, PNG, JPG, JPEG, GIF files can be shared/);
      const executable = new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 0xff, 0xff]);
      await expect(files.check(new File([executable], 'tool.png'))).rejects.toBeInstanceOf(FileRefusedError);
      await expect(files.check(new File([], 'empty.txt'))).rejects.toThrow('"empty.txt" is empty: there is nothing to share');
    });

    it('accepts an allowed file by its bytes', async () => {
      await expect(files.check(new File([PNG], 'Photo.PNG'))).resolves.toMatchObject({ name: 'Photo.PNG', mime: 'image/png' });
    });
  });

  describe('share', () => {
    it('uploads only the ciphertext with its type, shows progress, then sends the file message with its fileId', async () => {
      const sharing = files.share(ROOM, new File([PNG], 'dot.png'));
      const upload = await expectUpload();
      const fileId = files.uploads()[0]!.fileId;
      expect(upload.request.url).toBe(`/api/rooms/${ROOM.code}/files/${fileId}`);
      expect(upload.request.params.get('type')).toBe('image/png');
      expect(upload.request.headers.get('Content-Type')).toBe('application/octet-stream');
      const body = new Uint8Array(upload.request.body as ArrayBuffer);
      expect(body.length).toBe(PNG.length + 16);
      expect(body.slice(0, 8)).not.toEqual(PNG.slice(0, 8));
      upload.event({ type: 1, loaded: 10, total: 29 });
      expect(files.uploads()[0]).toMatchObject({ phase: 'uploading', progress: 10 / 29 });
      upload.flush({ fileId, bytes: body.length, mime: 'image/png', pendingUntil: new Date().toISOString() }, { status: 201, statusText: 'Created' });
      await sharing;
      expect(files.uploads()).toEqual([]);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.roomId).toBe(ROOM.id);
      expect(sent[0]!.file).toMatchObject({ type: 'file', fileId, name: 'dot.png', mime: 'image/png', size: PNG.length });
    });

    it('refuses before anything is uploaded or shown', async () => {
      await expect(files.share(ROOM, new File([PNG], 'dot.gif'))).rejects.toBeInstanceOf(FileRefusedError);
      expect(files.uploads()).toEqual([]);
      http.expectNone((r) => r.method === 'PUT');
    });

    it('cancel aborts the request and sends nothing', async () => {
      const sharing = files.share(ROOM, new File([PNG], 'dot.png'));
      const upload = await expectUpload();
      files.cancel(files.uploads()[0]!.fileId);
      await sharing;
      expect(upload.cancelled).toBe(true);
      expect(files.uploads()).toEqual([]);
      expect(sent).toEqual([]);
    });

    it('keeps a refused upload on screen with the server’s reason until dismissed', async () => {
      const sharing = files.share(ROOM, new File([PNG], 'dot.png'));
      const upload = await expectUpload();
      upload.flush({ statusCode: 409, message: 'storage quota exceeded: 1023 of 1024 MiB used' }, { status: 409, statusText: 'Conflict' });
      await sharing;
      const [failed] = files.uploads();
      expect(failed).toMatchObject({ phase: 'failed', problem: 'storage quota exceeded: 1023 of 1024 MiB used' });
      expect(sent).toEqual([]);
      files.dismiss(failed!.fileId);
      expect(files.uploads()).toEqual([]);
    });
  });

  describe('download', () => {
    const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

    it('fetches through a link, reports progress, and decrypts for the room and file id', async () => {
      const { content, ciphertext } = await shared(PNG, 'dot.png');
      answers.push(() => streamed(ciphertext));
      const progress: number[] = [];
      const downloading = files.download(ROOM, content, (received) => progress.push(received));
      await answerLink(content.fileId, { url: `/api/files/${content.fileId}?expires=1&sig=a`, expiresAt: inAnHour() });
      const blob = await downloading;
      expect(new Uint8Array(await blob.arrayBuffer())).toEqual(PNG);
      expect(blob.type).toBe('image/png');
      expect(fetched).toEqual([`/api/files/${content.fileId}?expires=1&sig=a`]);
      expect(progress.at(-1)).toBe(ciphertext.length);
      expect(progress.length).toBeGreaterThan(1);
    });

    it('marks a text file as UTF-8, which its check proved it is', async () => {
      const { content, ciphertext } = await shared(new TextEncoder().encode('café ✓') as Uint8Array<ArrayBuffer>, 'notes.txt');
      answers.push(() => streamed(ciphertext));
      const downloading = files.download(ROOM, content);
      await answerLink(content.fileId, { url: '/notes', expiresAt: inAnHour() });
      expect((await downloading).type).toBe('text/plain;charset=utf-8');
    });

    it('keeps a link until it expires, and asks again after', async () => {
      const { content, ciphertext } = await shared(PNG, 'dot.png');
      answers.push(() => streamed(ciphertext), () => streamed(ciphertext), () => streamed(ciphertext));
      const first = files.download(ROOM, content);
      await answerLink(content.fileId, { url: '/first', expiresAt: new Date(Date.now() + 1_500).toISOString() });
      await first;
      await files.download(ROOM, content);
      expect(fetched).toEqual(['/first', '/first']);
      await new Promise((resolve) => setTimeout(resolve, 600));
      const third = files.download(ROOM, content);
      await answerLink(content.fileId, { url: '/second', expiresAt: inAnHour() });
      await third;
      expect(fetched).toEqual(['/first', '/first', '/second']);
    });

    it('asks for a new link once when the storage refuses the kept one (410 or 403)', async () => {
      const { content, ciphertext } = await shared(PNG, 'dot.png');
      answers.push(() => new Response('{"message":"Link expired: ask for a new one"}', { status: 410 }), () => streamed(ciphertext));
      const downloading = files.download(ROOM, content);
      await answerLink(content.fileId, { url: '/stale', expiresAt: inAnHour() });
      await answerLink(content.fileId, { url: '/fresh', expiresAt: inAnHour() });
      await expect(downloading.then((b) => b.size)).resolves.toBe(PNG.length);
      expect(fetched).toEqual(['/stale', '/fresh']);

      // Refused twice: said plainly, not retried forever.
      const other = await shared(PNG, 'other.png');
      answers.push(() => new Response('{"message":"This link is not valid for you: ask for a new one"}', { status: 403 }), () => new Response('{"message":"This link is not valid for you: ask for a new one"}', { status: 403 }));
      const refused = files.download(ROOM, other.content);
      await answerLink(other.content.fileId, { url: '/a', expiresAt: inAnHour() });
      await answerLink(other.content.fileId, { url: '/b', expiresAt: inAnHour() });
      await expect(refused).rejects.toThrow(new FileDownloadError('"other.png" could not be downloaded: This link is not valid for you: ask for a new one'));
    });

    it('reports altered, substituted, overlong and other-room downloads as failed integrity checks', async () => {
      const { content, ciphertext } = await shared(PNG, 'dot.png');
      const altered = ciphertext.slice();
      altered[0]! ^= 1;
      const other = await shared(new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 2]), 'x.gif');
      const cases: Array<[string, Uint8Array, FileContent, typeof ROOM]> = [
        ['altered', altered, content, ROOM],
        ['substituted', other.ciphertext, content, ROOM],
        ['overlong', new Uint8Array([...ciphertext, 0]), content, ROOM],
        ['another room', ciphertext, content, { ...ROOM, id: '7d3c1b1e-0f8e-4a6b-9c57-1b6f9a0b2c33' }],
      ];
      for (const [, bytes, described, room] of cases) {
        answers.push(() => streamed(bytes));
        const downloading = files.download(room, described);
        if (described === content && fetched.length === 0) await answerLink(content.fileId, { url: '/link', expiresAt: inAnHour() });
        await expect(downloading).rejects.toBeInstanceOf(FileIntegrityFailure);
      }
      expect(fetched).toHaveLength(cases.length);
    });
  });

  describe('download queue', () => {
    const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

    it(`runs ${CONCURRENT_DOWNLOADS} downloads at once; the next waits its turn, and one called off while waiting never runs`, async () => {
      expect(CONCURRENT_DOWNLOADS).toBe(2);
      const [a, b, c, d] = await Promise.all(['a.png', 'b.png', 'c.png', 'd.png'].map((name) => shared(PNG, name)));
      const [heldA, heldB] = [held(), held()];
      answers.push(heldA.answer, heldB.answer, () => streamed(d!.ciphertext));
      const calledOff = new AbortController();
      const downloads = [
        files.download(ROOM, a!.content),
        files.download(ROOM, b!.content),
        files.download(ROOM, c!.content, undefined, calledOff.signal),
        files.download(ROOM, d!.content),
      ];
      await answerLink(a!.content.fileId, { url: '/a', expiresAt: inAnHour() });
      await answerLink(b!.content.fileId, { url: '/b', expiresAt: inAnHour() });
      await flush();
      expect(fetched).toEqual(['/a', '/b']);
      // Two are running: the third and fourth have not even asked for a link.
      expect(linksAsked(c!.content.fileId)).toEqual([]);
      expect(linksAsked(d!.content.fileId)).toEqual([]);

      calledOff.abort();
      await expect(downloads[2]).rejects.toBeInstanceOf(FileDownloadCancelled);
      heldB.release(streamed(b!.ciphertext));
      await expect(downloads[1]).resolves.toBeInstanceOf(Blob);
      // The turn goes to the fourth: the one called off left the queue.
      await answerLink(d!.content.fileId, { url: '/d', expiresAt: inAnHour() });
      await expect(downloads[3]!.then((blob) => blob.size)).resolves.toBe(PNG.length);
      expect(linksAsked(c!.content.fileId)).toEqual([]);
      heldA.release(streamed(a!.ciphertext));
      await expect(downloads[0]).resolves.toBeInstanceOf(Blob);
      expect(fetched).toEqual(['/a', '/b', '/d']);
    });

    it('a running download called off is aborted and frees its turn', async () => {
      const [a, b, c] = await Promise.all(['a.png', 'b.png', 'c.png'].map((name) => shared(PNG, name)));
      const stopped = new AbortController();
      answers.push(held().answer, held().answer, () => streamed(c!.ciphertext));
      const first = files.download(ROOM, a!.content, undefined, stopped.signal);
      const second = files.download(ROOM, b!.content);
      const third = files.download(ROOM, c!.content);
      await answerLink(a!.content.fileId, { url: '/a', expiresAt: inAnHour() });
      await answerLink(b!.content.fileId, { url: '/b', expiresAt: inAnHour() });
      await flush();
      stopped.abort();
      await expect(first).rejects.toBeInstanceOf(FileDownloadCancelled);
      await answerLink(c!.content.fileId, { url: '/c', expiresAt: inAnHour() });
      await expect(third).resolves.toBeInstanceOf(Blob);
      TestBed.inject(ChatService).stop();
      await expect(second).rejects.toBeInstanceOf(FileDownloadCancelled);
    });
  });

  describe('when the session ends (the chat stops at sign-out)', () => {
    const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

    it('aborts the upload in flight, forgets every upload and kept link, and calls off waiting downloads', async () => {
      const { content, ciphertext } = await shared(PNG, 'dot.png');
      answers.push(() => streamed(ciphertext));
      const first = files.download(ROOM, content);
      await answerLink(content.fileId, { url: '/kept', expiresAt: inAnHour() });
      await first;

      const failing = files.share(ROOM, new File([PNG], 'refused.png'));
      (await expectUpload()).flush({ statusCode: 409, message: 'storage quota exceeded' }, { status: 409, statusText: 'Conflict' });
      await failing;
      const sharing = files.share(ROOM, new File([PNG], 'dot.png'));
      const upload = await expectUpload();
      expect(files.uploads().map((u) => u.phase)).toEqual(['failed', 'uploading']);

      const [x, y, z] = await Promise.all(['x.png', 'y.png', 'z.png'].map((name) => shared(PNG, name)));
      const outcomes = [x!, y!, z!].map(({ content: file }) => files.download(ROOM, file).then(() => 'downloaded', (err: Error) => err));
      await flush();
      // Two asked for their links (not answered yet); the third waits its turn.
      const pendingLinks = [x!, y!].map(({ content: file }) => linksAsked(file.fileId));
      expect(pendingLinks.map((requests) => requests.length)).toEqual([1, 1]);

      TestBed.inject(ChatService).stop();

      await sharing;
      expect(upload.cancelled).toBe(true);
      expect(files.uploads()).toEqual([]);
      expect(sent).toEqual([]);
      // The links answered late are not used: those downloads were called off too.
      for (const [request] of pendingLinks) request!.flush({ url: '/late', expiresAt: inAnHour() });
      for (const outcome of await Promise.all(outcomes)) expect(outcome).toBeInstanceOf(FileDownloadCancelled);
      expect(fetched).toEqual(['/kept']);

      // The next session asks for its own link.
      answers.push(() => streamed(ciphertext));
      const again = files.download(ROOM, content);
      await answerLink(content.fileId, { url: '/fresh', expiresAt: inAnHour() });
      await again;
      expect(fetched).toEqual(['/kept', '/fresh']);
    });
  });
});
