import { ChangeDetectionStrategy, Component, computed, DestroyRef, effect, type ElementRef, inject, input, output, signal, untracked, viewChild } from '@angular/core';
import { PickerComponent } from '@ctrl/ngx-emoji-mart';
import { DraftsService } from '../../core/chat/drafts.service';
import { ClientConfigService } from '../../core/client-config.service';
import { CryptoService } from '../../core/crypto.service';
import { ACCEPTED_EXTENSIONS } from '../../core/files/file-size';

/** How often "typing" is repeated while the user types, and when it is withdrawn after a pause. */
const TYPING_REPEAT_MS = 2_000;
const TYPING_PAUSE_MS = 3_000;

/** A touch screen (or a phone-size one): no hardware keyboard to speak of, and an on-screen one that a focus would open. */
const TOUCH_QUERY = '(pointer: coarse), (max-width: 700px)';

/**
 * The message box: a counter against the deployment's message limit (code points, 150 unless the
 * server says otherwise; it says why once reached), Enter sends and Shift+Enter breaks the
 * line, an emoji picker (native emoji, nothing fetched), typing notices; files to share from the
 * attach button or pasted images (the room checks, encrypts and uploads them).
 *
 * The picker sits inside the form: Enter in its search field picks the first match (the picker's
 * own keyup) and never submits the form. It closes on a room switch, on Escape and on a click
 * outside; on a touch screen opening it leaves the focus alone (no on-screen keyboard over it).
 */
@Component({
  selector: 'cv-composer',
  imports: [PickerComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '(document:click)': 'closePickerOnClickOutside($event)', '(document:keydown.escape)': 'closePickerOnEscape()' },
  templateUrl: './composer.component.html',
  styleUrl: './composer.component.css',
})
export class ComposerComponent {
  private readonly crypto = inject(CryptoService);
  private readonly drafts = inject(DraftsService);
  /** The room code: each room keeps its own draft. */
  readonly room = input.required<string>();
  readonly disabled = input(false);
  /** A message to send (already checked against the limit). */
  readonly send = output<string>();
  readonly typing = output<boolean>();
  /** Files the user picked or pasted, unchecked. */
  readonly attach = output<File[]>();

  private readonly textarea = viewChild.required<ElementRef<HTMLTextAreaElement>>('textarea');
  private readonly pickerToggle = viewChild.required<ElementRef<HTMLButtonElement>>('pickerToggle');
  private readonly pickerPanel = viewChild<ElementRef<HTMLElement>>('pickerPanel');
  /** Read once: a touch screen gets neither the Shift+Enter hint nor a focused search field. */
  protected readonly touch = globalThis.matchMedia?.(TOUCH_QUERY).matches ?? false;
  protected readonly placeholder = this.touch ? 'Write a message (markdown works)' : 'Write a message (markdown works). Enter sends, Shift+Enter for a new line.';
  protected readonly accepted = ACCEPTED_EXTENSIONS;
  protected readonly limit = inject(ClientConfigService).messageChars;
  protected readonly text = signal('');
  protected readonly pickerOpen = signal(false);
  protected readonly count = computed(() => this.crypto.characterCount(this.text()));
  protected readonly tooLong = computed(() => this.count() > this.limit());
  protected readonly atLimit = computed(() => this.count() >= this.limit());
  protected readonly canSend = computed(() => !this.disabled() && this.text().trim() !== '' && !this.tooLong());
  private lastTypingAt = 0;
  private pauseTimer?: ReturnType<typeof setTimeout>;

  constructor() {
    // The router reuses this component from room to room: keep each room's draft apart. The room
    // itself tells the room left behind that typing stopped (an output cannot emit once destroyed).
    let shown: string | undefined;
    effect(() => {
      const room = this.room();
      untracked(() => {
        if (shown !== undefined) this.drafts.set(shown, this.text());
        shown = room;
        this.text.set(this.drafts.get(room));
        // Closed (and so its search forgotten) with the room left behind.
        this.pickerOpen.set(false);
        clearTimeout(this.pauseTimer);
        this.lastTypingAt = 0;
      });
    });
    inject(DestroyRef).onDestroy(() => {
      clearTimeout(this.pauseTimer);
      if (shown !== undefined) this.drafts.set(shown, this.text());
    });
  }

  protected onInput(value: string): void {
    this.text.set(value);
    if (!value.trim()) return this.stopTyping();
    const now = Date.now();
    if (now - this.lastTypingAt > TYPING_REPEAT_MS) {
      this.lastTypingAt = now;
      this.typing.emit(true);
    }
    clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => this.stopTyping(), TYPING_PAUSE_MS);
  }

  protected onKeydown(event: KeyboardEvent): void {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    this.submit();
  }

  protected submit(): void {
    if (!this.canSend()) return;
    this.send.emit(this.text());
    this.text.set('');
    this.stopTyping();
    this.textarea().nativeElement.focus();
  }

  protected picked(input: HTMLInputElement): void {
    const files = [...(input.files ?? [])];
    // Picking the same file again must fire another change.
    input.value = '';
    if (files.length) this.attach.emit(files);
  }

  /** A pasted image (a screenshot, say) is shared as a file; pasted text stays text. */
  protected onPaste(event: ClipboardEvent): void {
    const files = [...(event.clipboardData?.files ?? [])];
    if (!files.length) return;
    event.preventDefault();
    this.attach.emit(files);
  }

  protected addEmoji(event: { emoji: { native?: string } }): void {
    const emoji = event.emoji.native;
    if (!emoji) return;
    const area = this.textarea().nativeElement;
    const start = area.selectionStart ?? this.text().length;
    const end = area.selectionEnd ?? start;
    const next = this.text().slice(0, start) + emoji + this.text().slice(end);
    this.text.set(next);
    area.value = next;
    this.pickerOpen.set(false);
    area.focus();
    area.setSelectionRange(start + emoji.length, start + emoji.length);
  }

  /**
   * Keys inside the picker. Enter in its search field would submit the composer's form (and send
   * the unfinished message): it is stopped here; the picker's own keyup picks the first match, if any.
   */
  protected onPickerKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && event.target instanceof HTMLInputElement) event.preventDefault();
  }

  /** Escape anywhere (the message box, the picker, the page) closes the picker; a focus left in it goes back to the message box. */
  protected closePickerOnEscape(): void {
    if (!this.pickerOpen()) return;
    const panel = this.pickerPanel()?.nativeElement;
    const focused = document.activeElement;
    this.pickerOpen.set(false);
    if (!focused || focused === document.body || panel?.contains(focused)) this.textarea().nativeElement.focus();
  }

  /** A click anywhere but in the picker or on its button closes it. */
  protected closePickerOnClickOutside(event: MouseEvent): void {
    if (!this.pickerOpen()) return;
    const path = event.composedPath();
    const panel = this.pickerPanel()?.nativeElement;
    if ((panel && path.includes(panel)) || path.includes(this.pickerToggle().nativeElement)) return;
    this.pickerOpen.set(false);
  }

  private stopTyping(): void {
    clearTimeout(this.pauseTimer);
    if (this.lastTypingAt) this.typing.emit(false);
    this.lastTypingAt = 0;
  }
}
