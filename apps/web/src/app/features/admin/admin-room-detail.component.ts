import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, type ElementRef, effect, inject, input, output, resource, signal, viewChild } from '@angular/core';
import type { AdminJob, AdminRoomDetail, AdminRoomMember } from '@conclave/contracts';
import { AdminApi } from '../../core/admin/admin-api.service';
import { formatBytes } from '../../core/files/file-size';
import { ConfirmActionComponent } from './confirm-action.component';

/** One room for an admin: its figures, members (remove), joins (block), ownership (transfer), deletion. */
@Component({
  selector: 'cv-admin-room-detail',
  imports: [DatePipe, ConfirmActionComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './admin-screen.css',
  template: `
    <section class="detail" aria-labelledby="room-detail-heading">
      @if (details.hasValue()) {
        @let d = details.value();
        <h3 id="room-detail-heading" tabindex="-1" #heading>{{ d.room.name }} <span class="code">{{ d.room.code }}</span></h3>
        <dl class="facts">
          <dt>Owner</dt><dd>{{ d.room.ownerUsername }}</dd>
          <dt>Members</dt><dd>{{ d.room.memberCount }} of at most {{ d.room.maxMembers }}</dd>
          <dt>Waiting to join</dt><dd>{{ d.room.pendingCount }}</dd>
          <dt>New joins</dt><dd>{{ d.room.joinsBlocked ? 'Blocked by an administrator' : 'Open' }}</dd>
          <dt>Room password</dt><dd>{{ d.room.hasPassword ? 'Set' : 'None' }}</dd>
          <dt>History</dt><dd>{{ d.room.history === 'shared' ? 'Shared with people who join later' : 'From when each member joined' }}</dd>
          <dt>Key epoch</dt><dd>{{ d.room.currentEpoch }}</dd>
          <dt>Messages</dt><dd>{{ d.room.messageCount }}</dd>
          <dt>Files</dt><dd>{{ d.room.fileCount }} ({{ bytes(d.room.fileBytes) }})</dd>
          <dt>Created</dt><dd>{{ d.room.createdAt | date: 'medium' }}</dd>
          <dt>Last activity</dt><dd>{{ d.room.lastActivityAt | date: 'medium' }}</dd>
        </dl>

        @if (actionError()) {
          <p class="form-error" role="alert">{{ actionError() }}</p>
        }
        <p class="hint" role="status">{{ done() }}</p>

        <div class="row-actions">
          @if (d.room.joinsBlocked) {
            <cv-confirm-action label="Unblock joins" [danger]="false" [disabled]="busy()"
              [question]="'Let people join ' + d.room.name + ' again (requests, invites, password)?'" confirmLabel="Yes, unblock joins" (confirmed)="setBlocked(false)" />
          } @else {
            <cv-confirm-action label="Block joins" [disabled]="busy()"
              [question]="'Block new joins to ' + d.room.name + '? Requests, invites and the password stop working; members stay.'" confirmLabel="Yes, block joins" (confirmed)="setBlocked(true)" />
          }
          <cv-confirm-action label="Delete room" [disabled]="busy()"
            [question]="'Delete ' + d.room.name + ' (' + d.room.code + ') with all its messages and files? This cannot be undone.'" confirmLabel="Yes, delete the room" (confirmed)="deleteRoom()" />
          <button class="button small" type="button" (click)="closed.emit()">Close</button>
        </div>

        <h4 id="members-heading">Members</h4>
        <ul class="people" aria-labelledby="members-heading">
          @for (member of d.members; track member.id) {
            <li>
              <span class="name">{{ member.username }}</span>
              @if (member.role === 'owner') {
                <span class="badge">owner</span>
              }
              <span class="meta">joined {{ member.joinedAt | date: 'mediumDate' }}</span>
              @if (member.role !== 'owner') {
                <cv-confirm-action label="Remove" [detail]="member.username" [disabled]="busy()"
                  [question]="'Remove ' + member.username + ' from ' + d.room.name + '? The members\\' browsers move the room to a new key.'"
                  [confirmLabel]="'Yes, remove ' + member.username" (confirmed)="remove(member)" />
              }
            </li>
          }
        </ul>

        @if (candidates(d.members).length) {
          <h4>Transfer ownership</h4>
          <div class="row-actions">
            <label for="new-owner">New owner</label>
            <select id="new-owner" [value]="newOwner()" (change)="newOwner.set($any($event.target).value)">
              <option value="">Choose a member</option>
              @for (member of candidates(d.members); track member.id) {
                <option [value]="member.id">{{ member.username }}</option>
              }
            </select>
            <cv-confirm-action label="Transfer" [danger]="false" [disabled]="busy() || !newOwner()"
              [question]="'Make ' + nameOf(d.members, newOwner()) + ' the owner of ' + d.room.name + '? ' + d.room.ownerUsername + ' stays a member.'"
              confirmLabel="Yes, transfer" (confirmed)="transfer()" />
          </div>
        }
      } @else if (details.error()) {
        <h3 id="room-detail-heading">Room {{ code() }}</h3>
        <p class="form-error" role="alert">{{ details.error()?.message }}</p>
        <button class="button small" type="button" (click)="closed.emit()">Close</button>
      } @else {
        <h3 id="room-detail-heading">Room {{ code() }}</h3>
        <p class="hint" role="status">Loading…</p>
      }
    </section>
  `,
})
export class AdminRoomDetailComponent {
  readonly code = input.required<string>();
  /** The room after an action changed it. */
  readonly changed = output<AdminRoomDetail>();
  /** Its deletion job started. */
  readonly deleting = output<AdminJob>();
  readonly closed = output<void>();

  private readonly api = inject(AdminApi);
  private readonly heading = viewChild<ElementRef<HTMLElement>>('heading');
  protected readonly bytes = formatBytes;
  protected readonly busy = signal(false);
  protected readonly actionError = signal<string | null>(null);
  protected readonly done = signal('');
  protected readonly newOwner = signal('');
  protected readonly details = resource({
    params: () => this.code(),
    loader: async ({ params: code }) => {
      const [room, members] = await Promise.all([this.api.room(code), this.api.roomMembers(code)]);
      return { room, members };
    },
  });

  constructor() {
    // A newly opened room takes the focus (and, on a phone, the screen) so keyboard users land on it.
    let focusedFor = '';
    effect(() => {
      const heading = this.heading();
      const code = this.code();
      if (heading && focusedFor !== code) {
        focusedFor = code;
        heading.nativeElement.focus();
        heading.nativeElement.scrollIntoView?.({ block: 'nearest' });
      }
    });
    effect(() => {
      this.code();
      this.actionError.set(null);
      this.done.set('');
      this.newOwner.set('');
    });
  }

  protected candidates(members: AdminRoomMember[]): AdminRoomMember[] {
    return members.filter((m) => m.role !== 'owner');
  }

  protected nameOf(members: AdminRoomMember[], id: string): string {
    return members.find((m) => m.id === id)?.username ?? 'this member';
  }

  protected setBlocked(blocked: boolean): Promise<void> {
    return this.act(blocked ? 'New joins are blocked.' : 'New joins are allowed again.', async (code) => {
      this.show(await this.api.setJoinsBlocked(code, blocked));
    });
  }

  protected remove(member: AdminRoomMember): Promise<void> {
    return this.act(`${member.username} was removed; the members' browsers move the room to a new key.`, async (code) => {
      await this.api.removeMember(code, member.id);
      this.show(await this.api.room(code), await this.api.roomMembers(code));
    });
  }

  protected transfer(): Promise<void> {
    const userId = this.newOwner();
    return this.act('Ownership transferred.', async (code) => {
      const room = await this.api.transferOwnership(code, userId);
      this.show(room, await this.api.roomMembers(code));
      this.newOwner.set('');
    });
  }

  protected deleteRoom(): Promise<void> {
    return this.act('', async (code) => this.deleting.emit(await this.api.deleteRoom(code)));
  }

  private show(room: AdminRoomDetail, members = this.details.hasValue() ? this.details.value().members : []): void {
    this.details.set({ room, members });
    this.changed.emit(room);
  }

  private async act(success: string, action: (code: string) => Promise<void>): Promise<void> {
    this.busy.set(true);
    this.actionError.set(null);
    this.done.set('');
    try {
      await action(this.code());
      this.done.set(success);
    } catch (err) {
      this.actionError.set((err as Error).message);
    } finally {
      this.busy.set(false);
    }
  }
}
