import { ChangeDetectionStrategy, Component, inject, input, resource, signal } from '@angular/core';
import { MembershipService, type ShownRequest } from '../../core/chat/membership.service';
import { CryptoService } from '../../core/crypto.service';
import { SessionService } from '../../core/session.service';

/** "NAME asks to join", with the safety number to compare before admitting (docs/protocol.md §7, approval). */
@Component({
  selector: 'cv-join-request',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="join-request" role="group" [attr.aria-label]="request().username + ' asks to join'" [attr.data-user]="request().username">
      <p><strong>{{ request().username }}</strong> asks to join.</p>
      @if (request().note) {
        <p class="form-error">{{ request().note }}</p>
      }
      <p class="hint">Compare this safety number with {{ request().username }} before you let them in: once admitted, they can read the room.</p>
      <p class="safety-number small" [attr.aria-label]="'Safety number with ' + request().username">
        @for (group of digits.value() ?? []; track $index) {
          <span>{{ group }}</span>
        }
      </p>
      @if (error()) {
        <p class="form-error" role="alert">{{ error() }}</p>
      }
      <button class="button small primary" type="button" [disabled]="busy()" (click)="decide('admit')">Admit<span class="visually-hidden"> {{ request().username }}</span></button>
      <button class="button small" type="button" [disabled]="busy()" (click)="decide('decline')">Decline<span class="visually-hidden"> {{ request().username }}</span></button>
    </div>
  `,
})
export class JoinRequestComponent {
  readonly request = input.required<ShownRequest>();
  private readonly membership = inject(MembershipService);
  private readonly crypto = inject(CryptoService);
  private readonly session = inject(SessionService);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly digits = resource({
    params: () => ({ me: this.session.user(), them: this.request() }),
    loader: ({ params: { me, them } }) =>
      me ? this.crypto.safetyNumber({ userId: me.id, publicKeys: me.publicKeys }, { userId: them.userId, publicKeys: them.publicKeys }) : Promise.resolve([]),
  });

  protected async decide(decision: 'admit' | 'decline'): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await (decision === 'admit' ? this.membership.admit(this.request()) : this.membership.decline(this.request()));
    } catch (err) {
      this.error.set((err as Error).message);
    } finally {
      this.busy.set(false);
    }
  }
}
