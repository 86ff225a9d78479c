import { DatePipe, KeyValuePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { ADMIN_PAGE_DEFAULT, type AuditRecord } from '@conclave/contracts';
import { AdminApi, type AuditFilters } from '../../core/admin/admin-api.service';
import { PagedList } from '../../core/admin/paged-list';

type FilterField = 'actor' | 'action' | 'target' | 'from' | 'to';

/** A datetime-local value (the browser's local time) as an ISO instant; undefined when empty, null when invalid. */
export function localTimeToIso(value: string): string | undefined | null {
  if (!value.trim()) return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time.toISOString();
}

/** The audit log, newest first: filters by actor, action, target and time range; "Load more" along the cursor. */
@Component({
  selector: 'cv-admin-audit',
  imports: [DatePipe, KeyValuePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './admin-screen.css',
  styles: `
    .records { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.4rem; }
    .records > li { padding: 0.55rem 0.7rem; border: 1px solid var(--border); border-radius: 0.5rem; background: var(--surface); overflow-wrap: anywhere; }
    .records .action { font-weight: 700; font-family: ui-monospace, monospace; }
  `,
  template: `
    <h2 id="audit-heading">Audit log</h2>
    <form class="search" aria-label="Filter the audit log" (submit)="apply($event)">
      <div class="field">
        <label for="audit-actor">Actor (user id)</label>
        <input id="audit-actor" autocomplete="off" spellcheck="false" [value]="form().actor" (input)="set('actor', $event)" />
      </div>
      <div class="field">
        <label for="audit-action">Action</label>
        <input id="audit-action" autocomplete="off" spellcheck="false" placeholder="e.g. user.disabled, or admin. for every admin event" [value]="form().action" (input)="set('action', $event)" />
      </div>
      <div class="field">
        <label for="audit-target">Target (room, user, token or job id)</label>
        <input id="audit-target" autocomplete="off" spellcheck="false" [value]="form().target" (input)="set('target', $event)" />
      </div>
      <div class="field">
        <label for="audit-from">From</label>
        <input id="audit-from" type="datetime-local" [value]="form().from" (input)="set('from', $event)" />
      </div>
      <div class="field">
        <label for="audit-to">To</label>
        <input id="audit-to" type="datetime-local" [value]="form().to" (input)="set('to', $event)" />
      </div>
      <button class="button small" type="submit">Apply filters</button>
      <button class="button small" type="button" (click)="clear()">Clear</button>
    </form>
    @if (formError()) {
      <p class="form-error" role="alert">{{ formError() }}</p>
    }
    @if (log.error()) {
      <p class="form-error" role="alert">{{ log.error() }}</p>
    }
    <ul class="records" aria-labelledby="audit-heading">
      @for (record of log.items(); track record.id) {
        <li>
          <span class="action">{{ record.action }}</span>
          <span class="meta">{{ record.at | date: 'medium' }}</span>
          <div class="meta">
            actor <span class="code">{{ record.actorId ?? '—' }}</span>
            @if (record.tokenId) { · token <span class="code">{{ record.tokenId }}</span> }
            @if (record.target) { · target <span class="code">{{ record.target }}</span> }
            @if (record.ip) { · from {{ record.ip }} }
          </div>
          @if (hasDetails(record)) {
            <div class="meta">
              @for (entry of record.details | keyvalue; track entry.key) {
                <span>{{ entry.key }}: <span class="code">{{ entry.value }}</span>{{ $last ? '' : ' · ' }}</span>
              }
            </div>
          }
        </li>
      } @empty {
        @if (log.loaded()) {
          <li class="hint">No audit record matches.</li>
        }
      }
    </ul>
    <p class="hint" role="status">{{ log.loading() ? 'Loading the audit log…' : '' }}</p>
    @if (log.hasMore()) {
      <button class="button small more" type="button" [disabled]="log.loading()" (click)="log.loadMore()">Load more records</button>
    }
  `,
})
export class AdminAuditComponent {
  private readonly api = inject(AdminApi);
  protected readonly log = new PagedList<AuditRecord, AuditFilters>((filters, cursor) => this.api.audit({ ...filters, cursor, limit: ADMIN_PAGE_DEFAULT }), {});
  protected readonly form = signal<Record<FilterField, string>>({ actor: '', action: '', target: '', from: '', to: '' });
  protected readonly formError = signal<string | null>(null);

  constructor() {
    void this.log.search();
  }

  protected set(field: FilterField, event: Event): void {
    const value = (event.target as HTMLInputElement).value;
    this.form.update((form) => ({ ...form, [field]: value }));
  }

  protected apply(event: Event): void {
    event.preventDefault();
    const { actor, action, target, from, to } = this.form();
    const fromIso = localTimeToIso(from);
    const toIso = localTimeToIso(to);
    if (fromIso === null || toIso === null) return this.formError.set('Enter the times as a date and a time');
    if (fromIso && toIso && fromIso >= toIso) return this.formError.set('"From" must be before "To"');
    this.formError.set(null);
    void this.log.search({ actor: actor.trim(), action: action.trim(), target: target.trim(), from: fromIso, to: toIso });
  }

  protected clear(): void {
    this.form.set({ actor: '', action: '', target: '', from: '', to: '' });
    this.formError.set(null);
    void this.log.search({});
  }

  protected hasDetails(record: AuditRecord): boolean {
    return Object.keys(record.details ?? {}).length > 0;
  }
}
