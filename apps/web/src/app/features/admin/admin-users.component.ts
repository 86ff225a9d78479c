import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { ADMIN_PAGE_DEFAULT, type AdminUserDetail, type AdminUserSummary } from '@conclave/contracts';
import { AdminApi } from '../../core/admin/admin-api.service';
import { PagedList } from '../../core/admin/paged-list';
import { AdminUserDetailComponent } from './admin-user-detail.component';

/** Accounts: search by username prefix, "Load more" along the cursor; the selected account's details beside. */
@Component({
  selector: 'cv-admin-users',
  imports: [DatePipe, AdminUserDetailComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './admin-screen.css',
  template: `
    <h2 id="users-heading">Users</h2>
    <form class="search" role="search" aria-label="Search users" (submit)="search($event)">
      <div class="field">
        <label for="user-search">Username starts with</label>
        <input id="user-search" type="search" autocomplete="off" autocapitalize="none" spellcheck="false" [value]="query()" (input)="query.set($any($event.target).value)" />
      </div>
      <button class="button small" type="submit">Search</button>
    </form>
    <div class="split">
      <div>
        @if (users.error()) {
          <p class="form-error" role="alert">{{ users.error() }}</p>
        }
        <ul class="items" aria-labelledby="users-heading">
          @for (user of users.items(); track user.id) {
            <li>
              <button class="item" type="button" [attr.aria-current]="selected() === user.id ? 'true' : null" (click)="selected.set(user.id)">
                <span class="title">{{ user.username }}</span>
                <span class="meta">joined {{ user.createdAt | date: 'mediumDate' }} · last seen {{ user.lastSeenAt ? (user.lastSeenAt | date: 'medium') : 'never' }}</span>
                @if (user.admin || user.disabled) {
                  <span>
                    @if (user.admin) { <span class="badge">admin</span> }
                    @if (user.disabled) { <span class="badge bad">disabled</span> }
                  </span>
                }
              </button>
            </li>
          } @empty {
            @if (users.loaded()) {
              <li class="hint">No user name starts with {{ users.query() }}.</li>
            }
          }
        </ul>
        <p class="hint" role="status">{{ users.loading() ? 'Loading users…' : '' }}</p>
        @if (users.hasMore()) {
          <button class="button small more" type="button" [disabled]="users.loading()" (click)="users.loadMore()">Load more users</button>
        }
      </div>
      @if (selected(); as id) {
        <cv-admin-user-detail [userId]="id" (changed)="changed($event)" (closed)="selected.set(null)" />
      }
    </div>
  `,
})
export class AdminUsersComponent {
  private readonly api = inject(AdminApi);
  protected readonly users = new PagedList<AdminUserSummary, string>((q, cursor) => this.api.users({ q: q.toLowerCase(), cursor, limit: ADMIN_PAGE_DEFAULT }), '');
  protected readonly query = signal('');
  protected readonly selected = signal<string | null>(null);

  constructor() {
    void this.users.search();
  }

  protected search(event: Event): void {
    event.preventDefault();
    void this.users.search(this.query().trim());
  }

  protected changed(user: AdminUserDetail): void {
    const { admin, disabled, lastSeenAt } = user;
    this.users.update((u) => u.id === user.id, { admin, disabled, lastSeenAt });
  }
}
