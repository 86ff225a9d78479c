import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, type ElementRef, effect, inject, input, output, resource, signal, viewChild } from '@angular/core';
import type { AdminUserDetail } from '@conclave/contracts';
import { AdminApi } from '../../core/admin/admin-api.service';
import { SessionService } from '../../core/session.service';
import { ConfirmActionComponent } from './confirm-action.component';

/** One account for an admin: its rooms and sessions; disable / enable, end sessions, grant / revoke admin. */
@Component({
  selector: 'cv-admin-user-detail',
  imports: [DatePipe, ConfirmActionComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './admin-screen.css',
  template: `
    <section class="detail" aria-labelledby="user-detail-heading">
      @if (user.hasValue()) {
        @let u = user.value();
        <h3 id="user-detail-heading" tabindex="-1" #heading>{{ u.username }}@if (isMe()) { (you)}</h3>
        <dl class="facts">
          <dt>Status</dt><dd>{{ u.disabled ? 'Disabled ' + (u.disabledAt ? 'since ' + (u.disabledAt | date: 'medium') : '') : 'Active' }}</dd>
          <dt>Site admin</dt><dd>{{ u.admin ? 'Yes' : 'No' }}</dd>
          <dt>Signed-in sessions</dt><dd>{{ u.sessions }}</dd>
          <dt>Created</dt><dd>{{ u.createdAt | date: 'medium' }}</dd>
          <dt>Last seen</dt><dd>{{ u.lastSeenAt ? (u.lastSeenAt | date: 'medium') : 'Never' }}</dd>
          <dt>User id</dt><dd class="code">{{ u.id }}</dd>
        </dl>

        @if (actionError()) {
          <p class="form-error" role="alert">{{ actionError() }}</p>
        }
        <p class="hint" role="status">{{ done() }}</p>

        <div class="row-actions">
          @if (u.disabled) {
            <cv-confirm-action label="Enable account" [danger]="false" [disabled]="busy()"
              [question]="'Let ' + u.username + ' sign in again?'" confirmLabel="Yes, enable" (confirmed)="enable()" />
          } @else if (!isMe()) {
            <cv-confirm-action label="Disable account" [disabled]="busy()"
              [question]="'Disable ' + u.username + '? Their sessions end within seconds and they cannot sign in until enabled again.'"
              confirmLabel="Yes, disable" (confirmed)="disable()" />
          }
          <cv-confirm-action label="End all sessions" [disabled]="busy() || u.sessions === 0"
            [question]="'Sign ' + u.username + ' out of every browser (' + u.sessions + ' sessions)?' + (isMe() ? ' This includes this one.' : '')"
            confirmLabel="Yes, end sessions" (confirmed)="endSessions()" />
          @if (u.admin) {
            @if (!isMe()) {
              <cv-confirm-action label="Revoke admin" [disabled]="busy()"
                [question]="'Take site admin away from ' + u.username + '? Their API tokens stop working.'" confirmLabel="Yes, revoke admin" (confirmed)="setAdmin(false)" />
            }
          } @else {
            <cv-confirm-action label="Make admin" [disabled]="busy() || u.disabled"
              [question]="'Make ' + u.username + ' a site admin? They can then manage every room, account and token.'" confirmLabel="Yes, make admin" (confirmed)="setAdmin(true)" />
          }
          <button class="button small" type="button" (click)="closed.emit()">Close</button>
        </div>

        <h4 id="user-rooms-heading">Rooms</h4>
        <ul class="people" aria-labelledby="user-rooms-heading">
          @for (room of u.rooms; track room.id) {
            <li>
              <span class="name">{{ room.name }}</span> <span class="code">{{ room.code }}</span>
              @if (room.role === 'owner') { <span class="badge">owner</span> }
            </li>
          } @empty {
            <li class="hint">In no room.</li>
          }
        </ul>
      } @else if (user.error()) {
        <h3 id="user-detail-heading">User</h3>
        <p class="form-error" role="alert">{{ user.error()?.message }}</p>
        <button class="button small" type="button" (click)="closed.emit()">Close</button>
      } @else {
        <h3 id="user-detail-heading">User</h3>
        <p class="hint" role="status">Loading…</p>
      }
    </section>
  `,
})
export class AdminUserDetailComponent {
  readonly userId = input.required<string>();
  readonly changed = output<AdminUserDetail>();
  readonly closed = output<void>();

  private readonly api = inject(AdminApi);
  private readonly me = inject(SessionService).user;
  private readonly heading = viewChild<ElementRef<HTMLElement>>('heading');
  protected readonly busy = signal(false);
  protected readonly actionError = signal<string | null>(null);
  protected readonly done = signal('');
  protected readonly isMe = computed(() => this.me()?.id === this.userId());
  protected readonly user = resource({ params: () => this.userId(), loader: ({ params: id }) => this.api.user(id) });

  constructor() {
    let focusedFor = '';
    effect(() => {
      const heading = this.heading();
      const id = this.userId();
      if (heading && focusedFor !== id) {
        focusedFor = id;
        heading.nativeElement.focus();
        heading.nativeElement.scrollIntoView?.({ block: 'nearest' });
      }
    });
    effect(() => {
      this.userId();
      this.actionError.set(null);
      this.done.set('');
    });
  }

  protected disable(): Promise<void> {
    return this.act('The account is disabled and its sessions are ended.', (id) => this.api.disableUser(id));
  }

  protected enable(): Promise<void> {
    return this.act('The account can sign in again.', (id) => this.api.enableUser(id));
  }

  protected endSessions(): Promise<void> {
    return this.act('Every session of this account is ended.', async (id) => {
      await this.api.endSessions(id);
      return this.api.user(id);
    });
  }

  protected setAdmin(admin: boolean): Promise<void> {
    return this.act(admin ? 'This account is now a site admin.' : 'This account is no longer a site admin.', (id) => this.api.setAdmin(id, admin));
  }

  private async act(success: string, action: (userId: string) => Promise<AdminUserDetail>): Promise<void> {
    this.busy.set(true);
    this.actionError.set(null);
    this.done.set('');
    try {
      const user = await action(this.userId());
      this.user.set(user);
      this.changed.emit(user);
      this.done.set(success);
    } catch (err) {
      this.actionError.set((err as Error).message);
    } finally {
      this.busy.set(false);
    }
  }
}
