import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { ADMIN_PAGE_DEFAULT, type AdminJob, type AdminRoomDetail, type AdminRoomSummary } from '@conclave/contracts';
import { AdminApi } from '../../core/admin/admin-api.service';
import { JobProgress } from '../../core/admin/job-progress.service';
import { PagedList } from '../../core/admin/paged-list';
import { formatBytes } from '../../core/files/file-size';
import { AdminRoomDetailComponent } from './admin-room-detail.component';

/** Rooms: search by code or name, newest activity first, "Load more" along the cursor; the selected room's details beside. */
@Component({
  selector: 'cv-admin-rooms',
  imports: [DatePipe, AdminRoomDetailComponent],
  providers: [JobProgress],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './admin-screen.css',
  template: `
    <h2 id="rooms-heading">Rooms</h2>
    <form class="search" role="search" aria-label="Search rooms" (submit)="search($event)">
      <div class="field">
        <label for="room-search">Room code or name</label>
        <input id="room-search" type="search" autocomplete="off" [value]="query()" (input)="query.set($any($event.target).value)" />
      </div>
      <button class="button small" type="submit">Search</button>
    </form>

    @if (progress.job(); as job) {
      <div class="detail job" role="status" aria-live="polite">
        @switch (job.state) {
          @case ('succeeded') {
            <p>
              Room {{ job.target.code }} is deleted: {{ job.result?.members }} members, {{ job.result?.messages }} messages and
              {{ job.result?.files }} files ({{ bytes(job.result?.fileBytes ?? 0) }}) removed.
            </p>
          }
          @case ('failed') {
            <p class="form-error">Deleting room {{ job.target.code }} failed: {{ job.error }}</p>
          }
          @default {
            <p>Deleting room {{ job.target.code }}… ({{ job.state === 'queued' ? 'waiting to start' : 'removing messages and files' }})</p>
            <progress aria-label="Room deletion"></progress>
          }
        }
        @if (progress.error()) {
          <p class="form-error">{{ progress.error() }}</p>
        }
        @if (job.state === 'succeeded' || job.state === 'failed') {
          <button class="button small" type="button" (click)="progress.dismiss()">Dismiss</button>
        }
      </div>
    }

    <div class="split">
      <div>
        @if (rooms.error()) {
          <p class="form-error" role="alert">{{ rooms.error() }}</p>
        }
        <ul class="items" aria-labelledby="rooms-heading">
          @for (room of rooms.items(); track room.id) {
            <li>
              <button class="item" type="button" [attr.aria-current]="selected() === room.code ? 'true' : null" (click)="select(room.code)">
                <span class="title">{{ room.name }} <span class="code">{{ room.code }}</span></span>
                <span class="meta">
                  owner {{ room.ownerUsername }} · {{ room.memberCount }} {{ room.memberCount === 1 ? 'member' : 'members' }} · active {{ room.lastActivityAt | date: 'medium' }}
                </span>
                @if (room.joinsBlocked) {
                  <span><span class="badge warn">joins blocked</span></span>
                }
              </button>
            </li>
          } @empty {
            @if (rooms.loaded()) {
              <li class="hint">{{ rooms.query() ? 'No room matches ' + rooms.query() + '.' : 'No rooms yet.' }}</li>
            }
          }
        </ul>
        <p class="hint" role="status">{{ rooms.loading() ? 'Loading rooms…' : '' }}</p>
        @if (rooms.hasMore()) {
          <button class="button small more" type="button" [disabled]="rooms.loading()" (click)="rooms.loadMore()">Load more rooms</button>
        }
      </div>
      @if (selected(); as code) {
        <cv-admin-room-detail [code]="code" (changed)="changed($event)" (deleting)="deleting($event)" (closed)="selected.set(null)" />
      }
    </div>
  `,
})
export class AdminRoomsComponent {
  private readonly api = inject(AdminApi);
  protected readonly progress = inject(JobProgress);
  protected readonly rooms = new PagedList<AdminRoomSummary, string>((q, cursor) => this.api.rooms({ q, cursor, limit: ADMIN_PAGE_DEFAULT }), '');
  protected readonly query = signal('');
  protected readonly selected = signal<string | null>(null);
  protected readonly bytes = formatBytes;

  constructor() {
    void this.rooms.search();
  }

  protected search(event: Event): void {
    event.preventDefault();
    void this.rooms.search(this.query().trim());
  }

  protected select(code: string): void {
    this.selected.set(code);
  }

  /** An action changed the room: the list shows it too. */
  protected changed(room: AdminRoomDetail): void {
    const { ownerId, ownerUsername, memberCount, joinsBlocked, lastActivityAt } = room;
    this.rooms.update((r) => r.id === room.id, { ownerId, ownerUsername, memberCount, joinsBlocked, lastActivityAt });
  }

  /** The deletion job started: follow it here, and take the room out of the list once it is gone. */
  protected deleting(job: AdminJob): void {
    this.selected.set(null);
    this.progress.follow(job, (done) => {
      if (done.state === 'succeeded') this.rooms.remove((r) => r.id === done.target.roomId);
    });
  }
}
