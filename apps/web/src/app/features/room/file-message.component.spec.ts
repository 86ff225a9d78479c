import { TestBed } from '@angular/core/testing';
import type { FileContent } from '@conclave/contracts';
import { AUTO_PREVIEW_MAX_BYTES } from '../../core/files/file-size';
import { FileDownloadError, FileIntegrityFailure, FileTransferService } from '../../core/files/file-transfer.service';
import { FileMessageComponent } from './file-message.component';
import { PREVIEW_VIEWPORT } from './nearly-visible';

const ROOM = { id: '0b8a3f8e-4a34-4b59-9d6e-2f0a2c1d9e01', code: 'KQ7M' };
const content = (name: string, mime: FileContent['mime'], size = 2048): FileContent => ({
  type: 'file',
  fileId: '6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  name,
  mime,
  size,
  sha256: 'x',
  ciphertextSha256: 'x',
  key: 'x',
  iv: 'x',
  sentAt: 0,
});

/** IntersectionObserver as a browser has it, moved by the test: nothing is visible until `show()`. */
class FakeIntersectionObserver {
  static all: FakeIntersectionObserver[] = [];
  readonly targets: Element[] = [];
  disconnected = false;
  constructor(
    private readonly callback: IntersectionObserverCallback,
    readonly options: IntersectionObserverInit,
  ) {
    FakeIntersectionObserver.all.push(this);
  }
  observe(target: Element): void {
    this.targets.push(target);
  }
  disconnect(): void {
    this.disconnected = true;
  }
  show(isIntersecting = true): void {
    const entries = this.targets.map((target) => ({ target, isIntersecting }) as IntersectionObserverEntry);
    this.callback(entries, this as unknown as IntersectionObserver);
  }
}

describe('FileMessageComponent', () => {
  let download: (room: unknown, file: FileContent) => Promise<Blob>;
  let downloads: number;
  let signals: AbortSignal[];
  const viewport = document.createElement('div');

  afterEach(() => {
    vi.unstubAllGlobals();
    FakeIntersectionObserver.all = [];
  });

  async function render(file: FileContent, ready = true) {
    downloads = 0;
    signals = [];
    const files = {
      download: (room: unknown, f: FileContent, _progress: unknown, signal: AbortSignal) => (downloads++, signals.push(signal), download(room, f)),
    };
    await TestBed.configureTestingModule({
      imports: [FileMessageComponent],
      providers: [
        { provide: FileTransferService, useValue: files },
        { provide: PREVIEW_VIEWPORT, useValue: { previewRoot: () => viewport } },
      ],
    }).compileComponents();
    const fixture = TestBed.createComponent(FileMessageComponent);
    fixture.componentRef.setInput('content', file);
    fixture.componentRef.setInput('room', ROOM);
    fixture.componentRef.setInput('ready', ready);
    await fixture.whenStable();
    const settle = async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve));
        await fixture.whenStable();
      }
    };
    await settle();
    return { fixture, el: fixture.nativeElement as HTMLElement, settle };
  }

  it('shows name, type and size; previews an image from a blob: URL once stored, and revokes it when gone', async () => {
    download = async () => new Blob([new Uint8Array(4)], { type: 'image/png' });
    const revoked: string[] = [];
    const revoke = vi.spyOn(URL, 'revokeObjectURL').mockImplementation((url) => revoked.push(url));
    const { fixture, el } = await render(content('photo.png', 'image/png'));
    expect(el.textContent).toContain('photo.png');
    expect(el.textContent).toContain('PNG · 2.0 KiB');
    const img = el.querySelector('img')!;
    expect(img.getAttribute('src')).toMatch(/^blob:/);
    expect(img.alt).toBe('photo.png');
    fixture.destroy();
    expect(revoked).toEqual([img.getAttribute('src')]);
    revoke.mockRestore();
  });

  it('fetches nothing before the message is stored, and a PDF only when asked; then opens or saves it under its name', async () => {
    download = async () => new Blob(['%PDF-'], { type: 'application/pdf' });
    const { el, settle } = await render(content('report.pdf', 'application/pdf'));
    expect(downloads).toBe(0);
    expect(el.querySelector('a')).toBeNull();
    el.querySelector<HTMLButtonElement>('button')!.click();
    await settle();
    const [open, save] = [...el.querySelectorAll('a')];
    expect(open!.textContent).toBe('Open report.pdf');
    expect(open!.target).toBe('_blank');
    expect(open!.rel).toBe('noopener');
    expect(save!.getAttribute('download')).toBe('report.pdf');
    expect(save!.href).toMatch(/^blob:/);
  });

  it('says a file failed its integrity check and renders nothing of it', async () => {
    download = async () => {
      throw new FileIntegrityFailure('"photo.png" failed its integrity check: "photo.png" was altered or is not this file');
    };
    const { el } = await render(content('photo.png', 'image/png'));
    expect(el.querySelector('[role="alert"]')!.textContent).toContain('"photo.png" failed its integrity check');
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('a')).toBeNull();
    // Not offered again: the bytes are not this file.
    expect(el.querySelector('button')).toBeNull();
  });

  it('offers another try after a download that did not arrive', async () => {
    download = async () => {
      throw new FileDownloadError('"photo.png" could not be downloaded: the connection broke off');
    };
    const { el, settle } = await render(content('photo.png', 'image/png'));
    expect(el.querySelector('[role="alert"]')!.textContent).toContain('could not be downloaded');
    download = async () => new Blob([new Uint8Array(4)], { type: 'image/png' });
    el.querySelector<HTMLButtonElement>('button')!.click();
    await settle();
    expect(el.querySelector('img')).not.toBeNull();
    expect(downloads).toBe(2);
  });

  it('fetches an image only once its message comes near the visible part of the message list', async () => {
    vi.stubGlobal('IntersectionObserver', FakeIntersectionObserver);
    download = async () => new Blob([new Uint8Array(4)], { type: 'image/png' });
    const { fixture, el, settle } = await render(content('far-up.png', 'image/png'));
    const [observer] = FakeIntersectionObserver.all;
    expect(observer!.options.root).toBe(viewport);
    expect(observer!.targets).toEqual([fixture.nativeElement]);
    observer!.show(false);
    await settle();
    expect(downloads).toBe(0);
    expect(el.querySelector('img')).toBeNull();

    observer!.show();
    await settle();
    expect(downloads).toBe(1);
    expect(observer!.disconnected).toBe(true);
    expect(el.querySelector('img')!.getAttribute('src')).toMatch(/^blob:/);
  });

  it(`fetches an image over ${AUTO_PREVIEW_MAX_BYTES / 1024 / 1024} MiB only when "Show image" is pressed`, async () => {
    download = async () => new Blob([new Uint8Array(4)], { type: 'image/gif' });
    const { el, settle } = await render(content('huge.gif', 'image/gif', AUTO_PREVIEW_MAX_BYTES + 1));
    expect(downloads).toBe(0);
    expect(el.querySelector('img')).toBeNull();
    const show = el.querySelector<HTMLButtonElement>('button')!;
    expect(show.textContent!.trim()).toBe('Show image (2.0 MiB)');
    // A real button: in the tab order, pressed with Enter or Space.
    show.focus();
    expect(document.activeElement).toBe(show);
    show.click();
    await settle();
    expect(downloads).toBe(1);
    expect(el.querySelector('img')!.getAttribute('src')).toMatch(/^blob:/);
  });

  it(`previews an image of exactly ${AUTO_PREVIEW_MAX_BYTES / 1024 / 1024} MiB by itself`, async () => {
    download = async () => new Blob([new Uint8Array(4)], { type: 'image/jpeg' });
    const { el } = await render(content('big.jpg', 'image/jpeg', AUTO_PREVIEW_MAX_BYTES));
    expect(downloads).toBe(1);
    expect(el.querySelector('img')).not.toBeNull();
  });

  it('calls off its download (waiting or running) when the message is destroyed', async () => {
    download = () => new Promise(() => undefined);
    const { fixture, el } = await render(content('slow.png', 'image/png'));
    expect(downloads).toBe(1);
    expect(el.textContent).toContain('Downloading slow.png');
    expect(signals[0]!.aborted).toBe(false);
    fixture.destroy();
    expect(signals[0]!.aborted).toBe(true);
  });
});
