import { ChangeDetectionStrategy, Component, computed, type ElementRef, effect, inject, input, resource, viewChild } from '@angular/core';
import type { PublicKeys } from '@conclave/contracts';
import { toCanvas } from 'qrcode';
import { ContactsService } from '../../core/chat/contacts.service';
import { CryptoService } from '../../core/crypto.service';
import { SessionService } from '../../core/session.service';

export interface SafetyContact {
  userId: string;
  username: string;
  publicKeys: PublicKeys;
}

/** A member's safety number (60 digits, 12 groups) and QR code, to compare out of band and mark verified. */
@Component({
  selector: 'cv-safety-number-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <dialog #dialog aria-labelledby="safety-heading" class="safety">
      <h2 id="safety-heading">Safety number with {{ contact().username }}</h2>
      <p class="hint">Compare these digits with {{ contact().username }} in person or on a call (or scan the code). If they match, nobody is in between.</p>
      <p class="safety-number" aria-label="Safety number">
        @for (group of digits.value() ?? []; track $index) {
          <span>{{ group }}</span>
        }
      </p>
      <canvas #qr class="qr" role="img" [attr.aria-label]="'QR code of the safety number with ' + contact().username"></canvas>
      <p role="status">
        @if (status()?.verified) { ✔ You marked {{ contact().username }} as verified. } @else { {{ contact().username }} is not verified. }
      </p>
      <div class="actions">
        @if (status()?.verified) {
          <button class="button" type="button" (click)="contacts.unmarkVerified(contact().userId)">Clear verification</button>
        } @else {
          <button class="button primary" type="button" (click)="contacts.markVerified(contact().userId)">Mark as verified</button>
        }
        <button class="button" type="button" (click)="dialog.close()">Close</button>
      </div>
    </dialog>
  `,
})
export class SafetyNumberDialogComponent {
  protected readonly contacts = inject(ContactsService);
  private readonly crypto = inject(CryptoService);
  private readonly session = inject(SessionService);
  readonly contact = input.required<SafetyContact>();
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly qr = viewChild.required<ElementRef<HTMLCanvasElement>>('qr');
  protected readonly status = computed(() => this.contacts.all().get(this.contact().userId));
  protected readonly digits = resource({
    params: () => ({ me: this.session.user(), them: this.contact() }),
    loader: ({ params: { me, them } }) =>
      me ? this.crypto.safetyNumber({ userId: me.id, publicKeys: me.publicKeys }, { userId: them.userId, publicKeys: them.publicKeys }) : Promise.resolve([]),
  });

  constructor() {
    effect(() => {
      const groups = this.digits.value();
      if (groups?.length) void toCanvas(this.qr().nativeElement, groups.join(''), { width: 180, margin: 1 });
    });
  }

  show(): void {
    this.dialog().nativeElement.showModal();
  }
}
