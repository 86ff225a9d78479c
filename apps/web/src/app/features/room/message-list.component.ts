import { afterNextRender, ChangeDetectionStrategy, Component, DestroyRef, type ElementRef, effect, forwardRef, inject, input, output, untracked, viewChild } from '@angular/core';
import { MarkdownComponent } from 'ngx-markdown';
import { ContactsService } from '../../core/chat/contacts.service';
import type { ChatLine } from '../../core/chat/conversation.service';
import type { FileRoom } from '../../core/files/file-transfer.service';
import { FileMessageComponent } from './file-message.component';
import { PREVIEW_VIEWPORT, type PreviewViewport } from './nearly-visible';

/** Distance from the top (px) at which the next older page is fetched. */
const LOAD_OLDER_AT_PX = 80;
/** Within this distance of the bottom (px), the reader follows the conversation as it grows. */
const FOLLOW_AT_PX = 120;

/** The conversation: markdown bodies (sanitised), senders with verified badges, states said plainly. */
@Component({
  selector: 'cv-message-list',
  imports: [MarkdownComponent, FileMessageComponent],
  // Image previews load as they scroll near the visible part of this list.
  providers: [{ provide: PREVIEW_VIEWPORT, useExisting: forwardRef(() => MessageListComponent) }],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './message-list.component.html',
  styleUrl: './message-list.component.css',
})
export class MessageListComponent implements PreviewViewport {
  protected readonly contacts = inject(ContactsService);
  readonly lines = input.required<ChatLine[]>();
  /** The room shown: file messages fetch and decrypt their files for it. */
  readonly room = input.required<FileRoom>();
  readonly more = input(false);
  readonly loading = input(false);
  readonly loadOlder = output<void>();
  private readonly scroller = viewChild.required<ElementRef<HTMLElement>>('scroller');
  private readonly messages = viewChild.required<ElementRef<HTMLElement>>('messages');
  private firstId?: string;
  private lastId?: string;
  /** The reader was at the bottom when they last scrolled (or the list last moved them there). */
  private following = true;

  constructor() {
    const destroyRef = inject(DestroyRef);
    // A message that grows after it was shown (an image preview decrypted as it came near the screen)
    // keeps a reader who was at the bottom there, instead of pushing the newest messages out of view.
    afterNextRender(() => {
      if (typeof ResizeObserver === 'undefined') return;
      const el = this.scroller().nativeElement;
      const grown = new ResizeObserver(() => {
        if (this.following) el.scrollTop = el.scrollHeight;
      });
      grown.observe(this.messages().nativeElement);
      destroyRef.onDestroy(() => grown.disconnect());
    });
    // Keep the view where the reader is: at the bottom for new messages, in place when older ones load above.
    effect(() => {
      const lines = this.lines();
      untracked(() => {
        const el = this.scroller().nativeElement;
        const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
        const prepended = lines[0]?.id !== this.firstId && lines.at(-1)?.id === this.lastId;
        const before = el.scrollHeight;
        this.firstId = lines[0]?.id;
        this.lastId = lines.at(-1)?.id;
        requestAnimationFrame(() => {
          if (prepended) el.scrollTop += el.scrollHeight - before;
          else if (fromBottom < FOLLOW_AT_PX) el.scrollTop = el.scrollHeight;
        });
      });
    });
  }

  previewRoot(): Element {
    return this.scroller().nativeElement;
  }

  protected onScroll(): void {
    const el = this.scroller().nativeElement;
    this.following = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_AT_PX;
    if (el.scrollTop < LOAD_OLDER_AT_PX && this.more() && !this.loading()) this.loadOlder.emit();
  }

  protected time(iso: string): string {
    return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
}
