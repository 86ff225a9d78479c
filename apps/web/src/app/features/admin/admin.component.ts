import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';

/** The admin console: rooms, users, API tokens and the audit log, through the admin API with this session. */
@Component({
  selector: 'cv-admin',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="admin">
      <h1>Administration</h1>
      <p class="hint">Admins manage rooms, accounts and tokens, never content: nothing here adds a member, hands out a key or opens a message.</p>
      <nav class="sections" aria-label="Administration">
        @for (section of sections; track section.path) {
          <a [routerLink]="section.path" routerLinkActive="active" ariaCurrentWhenActive="page">{{ section.label }}</a>
        }
      </nav>
      <router-outlet />
    </div>
  `,
  styles: `
    :host { display: block; overflow-y: auto; flex: 1; }
    .admin { max-width: 72rem; padding: 1rem; margin: 0 auto; }
    h1 { margin: 0 0 0.25rem; font-size: 1.5rem; }
    .sections { display: flex; flex-wrap: wrap; gap: 0.25rem; border-bottom: 1px solid var(--border); margin: 0.75rem 0 1rem; }
    .sections a { padding: 0.5rem 0.9rem; text-decoration: none; color: var(--text); border-bottom: 3px solid transparent; font-weight: 600; }
    .sections a.active { border-bottom-color: var(--accent); color: var(--accent); }
    .sections a:focus-visible { outline: 3px solid var(--accent); }
    @media (max-width: 500px) { .sections a { padding: 0.5rem 0.55rem; } }
  `,
})
export class AdminComponent {
  protected readonly sections = [
    { path: 'rooms', label: 'Rooms' },
    { path: 'users', label: 'Users' },
    { path: 'tokens', label: 'API tokens' },
    { path: 'audit', label: 'Audit log' },
  ];
}
