import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, type ElementRef, inject, resource, signal, viewChild } from '@angular/core';
import { API_TOKEN_MAX_DAYS, API_TOKEN_NAME_MAX, API_TOKEN_SCOPES, type ApiTokenScope, type ApiTokenSummary, type CreatedApiToken } from '@conclave/contracts';
import { AdminApi } from '../../core/admin/admin-api.service';
import { ConfirmActionComponent } from './confirm-action.component';

const DAY_MS = 86_400_000;
export const TOKEN_DEFAULT_DAYS = 90;

const SCOPE_HINTS: Record<ApiTokenScope, string> = {
  'rooms:read': 'list rooms, their details and members, deletion jobs',
  'rooms:write': 'remove members, block joins, transfer and delete rooms',
  'users:read': 'list accounts and their details',
  'users:write': 'disable and enable accounts, end sessions',
  'audit:read': 'read the audit log',
  'metrics:read': 'scrape /metrics',
};

/** What a token's state is now, in words. */
export function tokenStatus(token: ApiTokenSummary, now = Date.now()): string {
  if (token.revokedAt) return 'Revoked';
  if (Date.parse(token.expiresAt) <= now) return 'Expired';
  return token.active ? 'Active' : 'Not usable: its creator is no longer an enabled admin';
}

/** API tokens for integrators: the list, a new token (shown once, to copy), revocation. */
@Component({
  selector: 'cv-admin-tokens',
  imports: [DatePipe, ConfirmActionComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './admin-screen.css',
  styles: `
    .create { max-width: 36rem; margin-bottom: 1.5rem; }
    .scopes label { display: flex; gap: 0.4rem; font-weight: 400; margin: 0.2rem 0; }
    .scopes .hint { font-size: 0.85rem; }
    .secret { display: grid; gap: 0.4rem; padding: 1rem; margin-bottom: 1.5rem; border: 2px solid var(--accent); border-radius: 0.75rem; background: var(--surface); }
    .secret input { font-family: ui-monospace, monospace; width: 100%; }
    .secret .warning { font-weight: 700; margin: 0; }
    .token-list { display: grid; gap: 0.6rem; list-style: none; padding: 0; margin: 0; }
    .token-list > li { padding: 0.7rem; border: 1px solid var(--border); border-radius: 0.5rem; background: var(--surface); }
  `,
  template: `
    <h2>API tokens</h2>
    <p class="hint">A token lets a program call the admin API with the scopes chosen here (Authorization: Bearer …), never the chat itself. It works until it expires or is revoked, and only while you stay an admin.</p>

    @if (created(); as token) {
      <section class="secret" aria-labelledby="new-token-heading">
        <h3 id="new-token-heading" tabindex="-1" #secretHeading>Copy the token “{{ token.name }}” now</h3>
        <p class="warning">You will not see it again: only a hash of it is kept.</p>
        <label for="new-token">New API token</label>
        <input id="new-token" readonly [value]="token.token" (focus)="$any($event.target).select()" data-testid="new-token" />
        <div class="row-actions">
          <button class="button small primary" type="button" (click)="copy(token.token)">Copy</button>
          <button class="button small" type="button" (click)="created.set(null)">Done, I have copied it</button>
        </div>
        <p class="hint" role="status">{{ copied() }}</p>
      </section>
    }

    <form class="create" novalidate (submit)="create($event)" aria-labelledby="create-token-heading">
      <h3 id="create-token-heading">Create a token</h3>
      <label for="token-name">Name</label>
      <input id="token-name" required [attr.maxlength]="nameMax" autocomplete="off" [value]="name()" (input)="name.set($any($event.target).value)" />
      <fieldset class="scopes">
        <legend>Scopes</legend>
        @for (scope of scopes; track scope) {
          <label>
            <input type="checkbox" [checked]="chosen().has(scope)" (change)="toggle(scope, $any($event.target).checked)" />
            <span><span class="code">{{ scope }}</span> <span class="hint">({{ hints[scope] }})</span></span>
          </label>
        }
      </fieldset>
      <label for="token-days">Expires after (days, 1–{{ maxDays }})</label>
      <input id="token-days" type="number" min="1" [attr.max]="maxDays" required [value]="days()" (input)="days.set($any($event.target).value)" aria-describedby="token-expiry" />
      <p id="token-expiry" class="hint">{{ expiryText() }}</p>
      @if (formError()) {
        <p class="form-error" role="alert">{{ formError() }}</p>
      }
      <div>
        <button class="button primary" type="submit" [disabled]="busy()">{{ busy() ? 'Creating…' : 'Create token' }}</button>
      </div>
    </form>

    <h3 id="tokens-heading">Tokens</h3>
    @if (listError()) {
      <p class="form-error" role="alert">{{ listError() }}</p>
    }
    @if (tokens.hasValue()) {
      <ul class="token-list" aria-labelledby="tokens-heading">
        @for (token of tokens.value(); track token.id) {
          <li [attr.aria-label]="'Token ' + token.name">
            <div class="title"><strong>{{ token.name }}</strong> <span class="badge" [class.bad]="!token.active">{{ status(token) }}</span></div>
            <dl class="facts">
              <dt>Scopes</dt><dd class="code">{{ token.scopes.join(', ') }}</dd>
              <dt>Created</dt><dd>{{ token.createdAt | date: 'medium' }} by {{ token.createdBy.username }}</dd>
              <dt>Expires</dt><dd>{{ token.expiresAt | date: 'medium' }}</dd>
              <dt>Last used</dt><dd>{{ token.lastUsedAt ? (token.lastUsedAt | date: 'medium') + (token.lastUsedIp ? ' from ' + token.lastUsedIp : '') : 'Never' }}</dd>
              @if (token.revokedAt) {
                <dt>Revoked</dt><dd>{{ token.revokedAt | date: 'medium' }}</dd>
              }
            </dl>
            @if (!token.revokedAt) {
              <div class="row-actions">
                <cv-confirm-action label="Revoke" [detail]="'the token ' + token.name" [disabled]="busy()"
                  [question]="'Revoke ' + token.name + '? Programs using it are refused from now on.'" confirmLabel="Yes, revoke" (confirmed)="revoke(token)" />
              </div>
            }
          </li>
        } @empty {
          <li class="hint">No tokens yet.</li>
        }
      </ul>
    } @else if (tokens.error()) {
      <p class="form-error" role="alert">{{ tokens.error()?.message }}</p>
    } @else {
      <p class="hint" role="status">Loading tokens…</p>
    }
  `,
})
export class AdminTokensComponent {
  private readonly api = inject(AdminApi);
  private readonly secretHeading = viewChild<ElementRef<HTMLElement>>('secretHeading');
  protected readonly scopes = API_TOKEN_SCOPES;
  protected readonly hints = SCOPE_HINTS;
  protected readonly nameMax = API_TOKEN_NAME_MAX;
  protected readonly maxDays = API_TOKEN_MAX_DAYS;
  protected readonly status = tokenStatus;

  protected readonly tokens = resource({ loader: () => this.api.tokens() });
  protected readonly name = signal('');
  protected readonly chosen = signal<ReadonlySet<ApiTokenScope>>(new Set());
  protected readonly days = signal(String(TOKEN_DEFAULT_DAYS));
  protected readonly busy = signal(false);
  protected readonly formError = signal<string | null>(null);
  protected readonly listError = signal<string | null>(null);
  /** The token just created, with its secret: held only until "Done" or leaving the screen. */
  protected readonly created = signal<CreatedApiToken | null>(null);
  protected readonly copied = signal('');
  protected readonly expiryText = computed(() => {
    const days = Number(this.days());
    if (!Number.isInteger(days) || days < 1 || days > API_TOKEN_MAX_DAYS) return `Choose from 1 to ${API_TOKEN_MAX_DAYS} days.`;
    return `It expires on ${new Date(Date.now() + days * DAY_MS).toLocaleString()}.`;
  });

  protected toggle(scope: ApiTokenScope, on: boolean): void {
    this.chosen.update((set) => {
      const next = new Set(set);
      if (on) next.add(scope);
      else next.delete(scope);
      return next;
    });
  }

  protected async create(event: Event): Promise<void> {
    event.preventDefault();
    const name = this.name().trim();
    const days = Number(this.days());
    if (!name) return this.formError.set('Give the token a name');
    if (!this.chosen().size) return this.formError.set('Choose at least one scope');
    if (!Number.isInteger(days) || days < 1 || days > API_TOKEN_MAX_DAYS) return this.formError.set(`Choose from 1 to ${API_TOKEN_MAX_DAYS} days`);
    this.busy.set(true);
    this.formError.set(null);
    this.copied.set('');
    try {
      const scopes = API_TOKEN_SCOPES.filter((s) => this.chosen().has(s));
      const token = await this.api.createToken({ name, scopes, expiresAt: new Date(Date.now() + days * DAY_MS).toISOString() });
      this.created.set(token);
      const { token: _secret, ...summary } = token;
      this.changeList((list) => [summary, ...list]);
      this.name.set('');
      this.chosen.set(new Set());
      this.days.set(String(TOKEN_DEFAULT_DAYS));
      setTimeout(() => this.secretHeading()?.nativeElement.focus());
    } catch (err) {
      this.formError.set((err as Error).message);
    } finally {
      this.busy.set(false);
    }
  }

  protected async copy(token: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(token);
      this.copied.set('Copied to the clipboard.');
    } catch {
      this.copied.set('Copying was not allowed: select the token and copy it yourself.');
    }
  }

  protected async revoke(token: ApiTokenSummary): Promise<void> {
    this.busy.set(true);
    this.listError.set(null);
    try {
      const revoked = await this.api.revokeToken(token.id);
      this.changeList((list) => list.map((t) => (t.id === revoked.id ? revoked : t)));
      if (this.created()?.id === revoked.id) this.created.set(null);
    } catch (err) {
      this.listError.set((err as Error).message);
    } finally {
      this.busy.set(false);
    }
  }

  /** Applies a change to the list shown, or loads it again when it could not be shown. */
  private changeList(change: (list: ApiTokenSummary[]) => ApiTokenSummary[]): void {
    if (this.tokens.hasValue()) this.tokens.set(change(this.tokens.value()));
    else this.tokens.reload();
  }
}
