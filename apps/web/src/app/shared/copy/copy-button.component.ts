import { ChangeDetectionStrategy, Component, DestroyRef, inject, input, signal } from '@angular/core';
import { copyText } from './clipboard';

/** One click puts `text` on the clipboard; "Copied" (or why not) is announced beside the button for a moment. */
@Component({
  selector: 'cv-copy-button',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button class="button small" type="button" (click)="copy()">Copy<span class="visually-hidden"> {{ what() }}</span></button>
    <span class="copy-status" role="status">{{ status() }}</span>
  `,
  styles: `
    :host {
      display: inline-flex;
      align-items: center;
      gap: 0.4rem;
    }
    .copy-status {
      font-size: 0.85rem;
      color: var(--muted);
    }
  `,
})
export class CopyButtonComponent {
  /** What is copied. */
  readonly text = input.required<string>();
  /** What it is, for the button's accessible name ("Copy room code"). */
  readonly what = input.required<string>();
  protected readonly status = signal('');
  private timer?: ReturnType<typeof setTimeout>;

  constructor() {
    inject(DestroyRef).onDestroy(() => clearTimeout(this.timer));
  }

  protected async copy(): Promise<void> {
    const copied = await copyText(this.text());
    this.status.set(copied ? 'Copied' : `Copying was not allowed: select the ${this.what()} and copy it yourself`);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.status.set(''), copied ? 3000 : 8000);
  }
}
