import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { INVITE_MAX_DAYS, INVITE_MAX_USES } from '@conclave/contracts';
import { RoomAccessService } from '../../core/chat/room-access.service';
import { copyText } from '../copy/clipboard';

/**
 * Creates an invite link (expiry, number of uses) and copies it in the same click (Copy copies it
 * again; where the browser does not allow it, the link is there to select): whoever opens it joins
 * without an approval step.
 */
@Component({
  selector: 'cv-invite-link',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form class="invite-link" (submit)="create($event)" aria-label="Create an invite link">
      <label [for]="id + '-days'">Valid for (days, 1–{{ maxDays }})</label>
      <input [id]="id + '-days'" type="number" min="1" [attr.max]="maxDays" [value]="days()" (input)="days.set($any($event.target).value)" />
      <label [for]="id + '-uses'">Number of people who may use it (1–{{ maxUses }})</label>
      <input [id]="id + '-uses'" type="number" min="1" [attr.max]="maxUses" [value]="uses()" (input)="uses.set($any($event.target).value)" />
      <button class="button" type="submit" [disabled]="busy()">{{ busy() ? 'Creating…' : 'Create invite link' }}</button>
      @if (link(); as link) {
        <label [for]="id + '-link'">Invite link</label>
        <input [id]="id + '-link'" class="link" readonly [value]="link" (focus)="$any($event.target).select()" />
        <button class="button primary" type="button" (click)="copy(link)">Copy</button>
        <p class="hint" role="status">{{ copied() ? 'Copied.' : '' }} Anyone with this link can join and read the room: send it privately.</p>
      }
      @if (error()) {
        <p class="form-error" role="alert">{{ error() }}</p>
      }
    </form>
  `,
})
export class InviteLinkComponent {
  /** The room to invite to. */
  readonly room = input.required<{ id: string; code: string }>();
  private readonly access = inject(RoomAccessService);
  protected readonly id = `invite-${Math.random().toString(36).slice(2, 8)}`;
  protected readonly maxDays = INVITE_MAX_DAYS;
  protected readonly maxUses = INVITE_MAX_USES;
  protected readonly days = signal('7');
  protected readonly uses = signal('1');
  protected readonly link = signal<string | null>(null);
  protected readonly copied = signal(false);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected async create(event: Event): Promise<void> {
    event.preventDefault();
    const days = Number(this.days());
    const uses = Number(this.uses());
    if (!Number.isInteger(days) || days < 1 || days > INVITE_MAX_DAYS) return this.error.set(`Choose from 1 to ${INVITE_MAX_DAYS} days`);
    if (!Number.isInteger(uses) || uses < 1 || uses > INVITE_MAX_USES) return this.error.set(`Choose from 1 to ${INVITE_MAX_USES} people`);
    this.busy.set(true);
    this.error.set(null);
    this.copied.set(false);
    try {
      const { link } = await this.access.createInvite(this.room(), { days, uses });
      this.link.set(link);
      this.copied.set(await copyText(link));
    } catch (err) {
      this.error.set((err as Error).message);
    } finally {
      this.busy.set(false);
    }
  }

  protected async copy(link: string): Promise<void> {
    const copied = await copyText(link);
    this.copied.set(copied);
    if (!copied) this.error.set('Copying was not allowed: select the link and copy it yourself');
  }
}
