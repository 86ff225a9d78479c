import { ChangeDetectionStrategy, Component, inject, input, type OnInit, signal } from '@angular/core';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { JoinService } from '../../core/chat/join.service';
import { InviteLinkService, type OpenedInvite } from '../../core/invite-link.service';
import { SessionService } from '../../core/session.service';

/**
 * /join/CODE#SECRET, what an invite link opens: a signed-out visitor signs up or signs in (the link
 * goes along), a signed-in one asks to join with the invite's proof and waits in the room for a
 * member's browser to check it (no approval click).
 */
@Component({
  selector: 'cv-join-invite',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <main id="content" class="panel" aria-labelledby="invite-heading">
      <h1 id="invite-heading">Invitation to room {{ code().toUpperCase() }}</h1>
      @if (!invite()) {
        <p class="form-error" role="alert">This invite link is incomplete: ask for the whole link (it ends with a # and a long secret).</p>
      } @else if (signedIn()) {
        <p role="status">{{ error() ? '' : 'Joining with your invite…' }}</p>
        @if (error()) {
          <p class="form-error" role="alert">{{ error() }}</p>
          <a routerLink="/home">Go to your rooms</a>
        }
      } @else {
        <p>You were invited to a Conclave room. Messages there are end-to-end encrypted: create an account or sign in, and you join right after.</p>
        <p>
          <a class="button primary" routerLink="/sign-up" [queryParams]="{ invite: invite()!.code }" [fragment]="invite()!.secret">Create an account</a>
          <a class="button" routerLink="/sign-in" [queryParams]="{ invite: invite()!.code }" [fragment]="invite()!.secret">Sign in</a>
        </p>
      }
    </main>
  `,
})
export class JoinInviteComponent implements OnInit {
  /** The room code, from the route (/join/:code). */
  readonly code = input.required<string>();
  private readonly route = inject(ActivatedRoute);
  private readonly router = inject(Router);
  private readonly links = inject(InviteLinkService);
  private readonly joins = inject(JoinService);
  private readonly session = inject(SessionService);
  protected readonly invite = signal<OpenedInvite | null>(null);
  protected readonly signedIn = signal(this.session.state() === 'signed-in');
  protected readonly error = signal<string | null>(null);

  ngOnInit(): void {
    this.invite.set(this.links.remember(this.code(), this.route.snapshot.fragment));
    const invite = this.invite();
    if (invite && this.signedIn()) void this.join(invite);
  }

  private async join(invite: OpenedInvite): Promise<void> {
    try {
      const result = await this.joins.join(invite.code, { inviteSecret: invite.secret });
      this.links.clear();
      // A member already, or waiting for a member's browser to check the proof: the room's page shows which.
      await this.router.navigate(['/rooms', result.room.code], { replaceUrl: true });
    } catch (err) {
      this.error.set((err as Error).message);
    }
  }
}
