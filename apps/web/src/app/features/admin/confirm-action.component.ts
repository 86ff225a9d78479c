import { ChangeDetectionStrategy, Component, type ElementRef, input, output, signal, viewChild } from '@angular/core';

let nextId = 0;

/**
 * A button for a destructive admin action that asks first: the question replaces the button inline
 * (no browser confirm()), with Cancel focused so Enter does not destroy by accident; Escape cancels.
 */
@Component({
  selector: 'cv-confirm-action',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (asking()) {
      <span class="confirm" role="alertdialog" [attr.aria-labelledby]="id" (keydown.escape)="cancel()">
        <span [id]="id" class="question">{{ question() }}</span>
        <button class="button small danger" type="button" (click)="confirm()">{{ confirmLabel() }}</button>
        <button #cancelButton class="button small" type="button" (click)="cancel()">Cancel</button>
      </span>
    } @else {
      <button #trigger class="button small" type="button" [class.danger]="danger()" [disabled]="disabled()" (click)="ask()">
        {{ label() }}@if (detail()) {<span class="visually-hidden"> {{ detail() }}</span>}
      </button>
    }
  `,
  styles: `
    :host { display: inline-block; }
    .confirm { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4rem; padding: 0.5rem; border-radius: 0.5rem; background: #fff4d6; color: #5c4400; }
    .question { font-weight: 600; flex-basis: 100%; }
    .danger { border-color: #b42318; color: #b42318; }
    .confirm .danger { background: #b42318; color: #fff; }
  `,
})
export class ConfirmActionComponent {
  /** The button's text, e.g. "Remove". */
  readonly label = input.required<string>();
  /** Read to screen readers after the label, e.g. the member's name. */
  readonly detail = input('');
  readonly question = input.required<string>();
  readonly confirmLabel = input('Yes');
  readonly danger = input(true);
  readonly disabled = input(false);
  readonly confirmed = output<void>();

  protected readonly id = `confirm-${++nextId}`;
  protected readonly asking = signal(false);
  private readonly cancelButton = viewChild<ElementRef<HTMLButtonElement>>('cancelButton');
  private readonly trigger = viewChild<ElementRef<HTMLButtonElement>>('trigger');

  protected ask(): void {
    this.asking.set(true);
    setTimeout(() => this.cancelButton()?.nativeElement.focus());
  }

  protected cancel(): void {
    this.asking.set(false);
    setTimeout(() => this.trigger()?.nativeElement.focus());
  }

  protected confirm(): void {
    this.asking.set(false);
    this.confirmed.emit();
  }
}
