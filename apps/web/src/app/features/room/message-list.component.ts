import { afterNextRender, ChangeDetectionStrategy, Component, computed, DestroyRef, type ElementRef, effect, forwardRef, inject, Injector, input, output, signal, untracked, viewChild } from '@angular/core';
import { MarkdownComponent } from 'ngx-markdown';
import { ContactsService } from '../../core/chat/contacts.service';
import type { ChatLine, MembershipChange } from '../../core/chat/conversation.service';
import type { FileRoom } from '../../core/files/file-transfer.service';
import { FileMessageComponent } from './file-message.component';
import { messageRows, timeLabel } from './message-rows';
import { PREVIEW_VIEWPORT, type PreviewViewport } from './nearly-visible';

/** Distance from the top (px) at which the next older page is fetched. */
const LOAD_OLDER_AT_PX = 80;
/** Within this distance of the bottom (px), the reader follows the conversation as it grows. */
const FOLLOW_AT_PX = 120;

/** An edit the reader asked for: the line and its new body (the room checks the limit and sends it). */
export interface EditRequest {
  line: ChatLine;
  body: string;
}

/**
 * The conversation: markdown bodies (sanitised), senders with verified badges, states said plainly;
 * days, groups of one sender's messages, membership lines, the "new messages" divider, a button back
 * to the newest when scrolled up; edit and delete of one's own messages (docs/protocol.md §9b, §9c).
 */
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
  /** Messages of others that were unread when the room was opened: the divider goes before them. */
  readonly unread = input(0);
  /** Shown at the start instead of "Start of the conversation" (a newcomer's explanation of hidden history). */
  readonly historyNote = input<string | null>(null);
  readonly loadOlder = output<void>();
  readonly editMessage = output<EditRequest>();
  readonly deleteMessage = output<ChatLine>();

  protected readonly rows = computed(() => messageRows(this.lines(), this.unread()));
  protected readonly eventText: Record<MembershipChange, string> = { joined: 'joined the room', left: 'left the room', removed: 'was removed from the room' };
  /** The line whose edit box is open, and the one whose deletion is being confirmed. */
  protected readonly editing = signal<string | null>(null);
  protected readonly confirmingDelete = signal<string | null>(null);
  /** The reader is at the bottom (false while they read older messages). */
  protected readonly atBottom = signal(true);
  /** Messages that arrived below while the reader was scrolled up. */
  protected readonly unseen = signal(0);
  private readonly injector = inject(Injector);
  private readonly scroller = viewChild.required<ElementRef<HTMLElement>>('scroller');
  private readonly messages = viewChild.required<ElementRef<HTMLElement>>('messages');
  private firstId?: string;
  private lastId?: string;
  /** The reader was at the bottom when they last scrolled (or the list last moved them there). */
  private get following(): boolean {
    return this.atBottom();
  }

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
        if (!lines.length) {
          // Another room: nothing of the last one's state stays.
          this.editing.set(null);
          this.confirmingDelete.set(null);
          this.unseen.set(0);
        }
        const el = this.scroller().nativeElement;
        const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
        const prepended = lines[0]?.id !== this.firstId && lines.at(-1)?.id === this.lastId;
        const appended = !prepended && this.lastId !== undefined && lines.at(-1)?.id !== this.lastId;
        if (appended && fromBottom >= FOLLOW_AT_PX && !lines.at(-1)?.mine) this.unseen.update((n) => n + 1);
        const before = el.scrollHeight;
        this.firstId = lines[0]?.id;
        this.lastId = lines.at(-1)?.id;
        requestAnimationFrame(() => {
          if (prepended) el.scrollTop += el.scrollHeight - before;
          else if (fromBottom < FOLLOW_AT_PX || lines.at(-1)?.state === 'sending') el.scrollTop = el.scrollHeight;
        });
      });
    });
  }

  previewRoot(): Element {
    return this.scroller().nativeElement;
  }

  protected onScroll(): void {
    const el = this.scroller().nativeElement;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_AT_PX;
    this.atBottom.set(atBottom);
    if (atBottom) this.unseen.set(0);
    if (el.scrollTop < LOAD_OLDER_AT_PX && this.more() && !this.loading()) this.loadOlder.emit();
  }

  protected jumpToLatest(): void {
    const el = this.scroller().nativeElement;
    el.scrollTop = el.scrollHeight;
    this.atBottom.set(true);
    this.unseen.set(0);
  }

  /** Own messages that are stored and readable may be edited (text only) and deleted. */
  protected changeable(line: ChatLine): boolean {
    return line.mine && line.state === 'ok' && line.seq !== undefined && !line.deleted && !line.event;
  }

  protected startEdit(line: ChatLine): void {
    this.confirmingDelete.set(null);
    this.editing.set(line.id);
    afterNextRender(
      () => {
        const box = this.scroller().nativeElement.querySelector<HTMLTextAreaElement>(`#edit-${CSS.escape(line.id)}`);
        box?.focus();
        box?.setSelectionRange(box.value.length, box.value.length);
      },
      { injector: this.injector },
    );
  }

  protected saveEdit(line: ChatLine, body: string): void {
    this.editing.set(null);
    if (body !== line.body) this.editMessage.emit({ line, body });
  }

  protected onEditKeydown(event: KeyboardEvent, line: ChatLine, body: string): void {
    if (event.key === 'Escape') {
      event.preventDefault();
      this.editing.set(null);
    } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.saveEdit(line, body);
    }
  }

  protected confirmDelete(line: ChatLine): void {
    this.confirmingDelete.set(null);
    this.deleteMessage.emit(line);
  }

  protected readonly time = (iso: string) => timeLabel(iso);
}
