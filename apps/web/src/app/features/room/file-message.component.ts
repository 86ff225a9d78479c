import { afterNextRender, ChangeDetectionStrategy, Component, computed, DestroyRef, effect, ElementRef, inject, input, signal, untracked } from '@angular/core';
import type { FileContent } from '@conclave/contracts';
import { AUTO_PREVIEW_MAX_BYTES, formatBytes, PREVIEWED_TYPES, typeLabel } from '../../core/files/file-size';
import { FileDownloadCancelled, type FileRoom, FileIntegrityFailure, FileTransferService } from '../../core/files/file-transfer.service';
import { PREVIEW_VIEWPORT, whenNearlyVisible } from './nearly-visible';

type FileView =
  | { state: 'idle' }
  | { state: 'downloading'; received: number; total: number }
  | { state: 'ready'; url: string }
  | { state: 'failed'; problem: string }
  | { state: 'integrity'; problem: string };

/**
 * A file message: name, size and type; images previewed inline once decrypted and checked, other
 * files opened or saved under their own name from a blob: URL. An image up to AUTO_PREVIEW_MAX_BYTES
 * is fetched when its message comes near the screen; a larger one (and any other file) when asked.
 * A file that fails a check is said to have failed its integrity check and is never rendered.
 */
@Component({
  selector: 'cv-file-message',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let file = content();
    <div class="file" role="group" [attr.aria-label]="'File ' + file.name">
      <p class="file-meta">
        <span class="file-icon" aria-hidden="true">{{ image() ? '🖼' : '📄' }}</span>
        <span class="file-name">{{ file.name }}</span>
        <span class="file-facts">{{ typeName() }} · {{ size() }}</span>
      </p>
      @switch (view().state) {
        @case ('ready') {
          @if (image()) {
            <img class="preview" [src]="url()" [alt]="file.name" />
          }
          <p class="file-actions">
            @if (!image()) {
              <a class="button small" [href]="url()" target="_blank" rel="noopener">Open {{ file.name }}</a>
            }
            <a class="button small" [href]="url()" [attr.download]="file.name">Save {{ file.name }}</a>
          </p>
        }
        @case ('downloading') {
          <p class="file-actions">
            <label class="progress">
              <span>Downloading {{ file.name }}…</span>
              <progress [value]="received()" [max]="total()"></progress>
            </label>
          </p>
        }
        @case ('integrity') {
          <p class="problem" role="alert">⚠ {{ problem() }}. It is not shown.</p>
        }
        @default {
          @if (problem(); as problem) {
            <p class="problem" role="alert">{{ problem }}</p>
          }
          @if (ready()) {
            <p class="file-actions">
              @if (problem()) {
                <button class="button small" type="button" (click)="download()">Try again {{ file.name }}</button>
              } @else if (image()) {
                <button class="button small" type="button" (click)="download()">Show image ({{ size() }})</button>
              } @else {
                <button class="button small" type="button" (click)="download()">Download {{ file.name }}</button>
              }
            </p>
          }
        }
      }
    </div>
  `,
  styles: `
    :host {
      display: block;
    }
    .file {
      display: flex;
      flex-direction: column;
      gap: 0.3rem;
      margin: 0.3rem 0;
    }
    .file-meta {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 0.4rem;
      margin: 0;
    }
    .file-name {
      font-weight: 600;
      overflow-wrap: anywhere;
    }
    .file-facts {
      color: var(--muted);
      font-size: 0.85rem;
    }
    .preview {
      display: block;
      /* A flex column would stretch it to the column's width. */
      align-self: flex-start;
      max-width: 100%;
      max-height: 20rem;
      border-radius: 0.4rem;
      border: 1px solid var(--border);
    }
    .file-actions {
      display: flex;
      flex-wrap: wrap;
      gap: 0.4rem;
      margin: 0;
    }
    .progress {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.4rem;
      font-size: 0.85rem;
    }
    .problem {
      color: #b3261e;
      font-weight: 600;
      margin: 0;
    }
  `,
})
export class FileMessageComponent {
  private readonly files = inject(FileTransferService);
  private readonly viewport = inject(PREVIEW_VIEWPORT, { optional: true });
  readonly content = input.required<FileContent>();
  /** The room the message was read in: its id is the file's AAD, its code the link route's. */
  readonly room = input.required<FileRoom>();
  /** The message is stored (a link can be issued for it). */
  readonly ready = input(false);

  protected readonly view = signal<FileView>({ state: 'idle' });
  protected readonly image = computed(() => PREVIEWED_TYPES.has(this.content().mime));
  private readonly autoPreview = computed(() => this.image() && this.content().size <= AUTO_PREVIEW_MAX_BYTES);
  private readonly nearlyVisible = signal(false);
  protected readonly typeName = computed(() => typeLabel(this.content().mime));
  protected readonly size = computed(() => formatBytes(this.content().size));
  protected readonly url = computed(() => {
    const view = this.view();
    return view.state === 'ready' ? view.url : '';
  });
  protected readonly received = computed(() => {
    const view = this.view();
    return view.state === 'downloading' ? view.received : 0;
  });
  protected readonly total = computed(() => {
    const view = this.view();
    return view.state === 'downloading' ? view.total : 1;
  });
  protected readonly problem = computed(() => {
    const view = this.view();
    return view.state === 'failed' || view.state === 'integrity' ? view.problem : null;
  });
  private destroyed = false;
  /** Called off when the message leaves the screen for good: a download waiting its turn leaves the queue. */
  private readonly gone = new AbortController();

  constructor() {
    const host = inject<ElementRef<HTMLElement>>(ElementRef).nativeElement;
    let stopWatching = () => {};
    afterNextRender(() => {
      if (this.image() && !this.destroyed) stopWatching = whenNearlyVisible(host, this.viewport?.previewRoot() ?? null, () => this.nearlyVisible.set(true));
    });
    // Small images are previewed once stored and near the screen; larger ones and other files wait for a click.
    effect(() => {
      if (this.ready() && this.autoPreview() && this.nearlyVisible()) untracked(() => this.view().state === 'idle' && void this.download());
    });
    inject(DestroyRef).onDestroy(() => {
      this.destroyed = true;
      stopWatching();
      this.gone.abort();
      this.revoke();
    });
  }

  protected async download(): Promise<void> {
    const content = this.content();
    this.revoke();
    this.view.set({ state: 'downloading', received: 0, total: content.size });
    try {
      const progress = (received: number, total: number) => !this.destroyed && this.view.set({ state: 'downloading', received, total });
      const blob = await this.files.download(this.room(), content, progress, this.gone.signal);
      if (this.destroyed || this.content() !== content) return;
      this.view.set({ state: 'ready', url: URL.createObjectURL(blob) });
    } catch (err) {
      if (this.destroyed) return;
      if (err instanceof FileDownloadCancelled) return this.view.set({ state: 'idle' });
      const problem = (err as Error).message;
      this.view.set(err instanceof FileIntegrityFailure ? { state: 'integrity', problem } : { state: 'failed', problem });
    }
  }

  private revoke(): void {
    const view = this.view();
    if (view.state === 'ready') URL.revokeObjectURL(view.url);
  }
}
