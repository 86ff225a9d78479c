import { ChangeDetectionStrategy, Component, computed, DestroyRef, effect, inject, signal } from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { ChatService } from '../../core/chat/chat.service';
import { ContactsService } from '../../core/chat/contacts.service';
import { secondsLeft } from '../../core/chat/countdown';
import { JoinService } from '../../core/chat/join.service';
import { MembershipService } from '../../core/chat/membership.service';
import { NotificationService } from '../../core/notifications/notification.service';
import { SessionService } from '../../core/session.service';
import { CreateRoomDialogComponent } from './create-room-dialog.component';
import { JoinRoomFormComponent } from './join-room-form.component';

/** The signed-in frame: rooms sidebar, who is online, the connection and server notices; screens inside. */
@Component({
  selector: 'cv-dashboard',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, CreateRoomDialogComponent, JoinRoomFormComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './dashboard.component.html',
  styleUrl: './dashboard.component.css',
})
export class DashboardComponent {
  protected readonly chat = inject(ChatService);
  private readonly contacts = inject(ContactsService);
  private readonly session = inject(SessionService);
  private readonly router = inject(Router);
  protected readonly joins = inject(JoinService);
  /** Join requests waiting for this user's decision, by room code. */
  protected readonly requests = inject(MembershipService).requests;
  protected readonly user = this.session.user;
  protected readonly menuOpen = signal(false);
  protected readonly idleSeconds = secondsLeft(this.chat.idleWarning);
  /**
   * roster:online comes once per connection and presence only for rooms shared at connect time, so
   * people present in a room's live channel (room:roster) count as online too.
   */
  protected readonly onlineOthers = computed(() => {
    const people = new Map([...this.chat.online(), ...Object.values(this.chat.rosters()).flat()].map((e) => [e.userId, e]));
    people.delete(this.user()?.id ?? '');
    return [...people.values()];
  });
  /** "Reconnecting" only after the connection has been lost for a while, so blips do not flash. */
  protected readonly showReconnecting = signal(false);
  /** This browser is offline (or its connection is lost): who is online is only the last thing heard, not shown as live. */
  protected readonly presenceStale = computed(() => {
    const state = this.chat.connection();
    return state === 'offline' || state === 'refused' || this.showReconnecting();
  });
  private reconnectTimer?: ReturnType<typeof setTimeout>;

  constructor() {
    // Unread count in the tab title and desktop notifications, for as long as someone is signed in.
    inject(NotificationService);
    this.chat.start();
    // Verification marks follow the user: loaded at sign-in, not room by room.
    void this.contacts.load().catch((err: unknown) => console.warn('Loading the contact book failed (rooms load it again):', err));
    inject(DestroyRef).onDestroy(() => {
      clearTimeout(this.reconnectTimer);
      this.chat.stop();
      this.contacts.clear();
    });
    effect(() => {
      const state = this.chat.connection();
      clearTimeout(this.reconnectTimer);
      if (state !== 'reconnecting') this.showReconnecting.set(false);
      else this.reconnectTimer = setTimeout(() => this.showReconnecting.set(true), 3000);
    });
    effect(() => {
      const reason = this.chat.ended();
      if (reason) void this.backToSignIn(reason);
    });
  }

  protected async cancelJoin(code: string): Promise<void> {
    await this.joins.cancel(code).catch((err: unknown) => this.chat.roomsError.set((err as Error).message));
    if (this.router.url.startsWith(`/rooms/${code}`)) await this.router.navigateByUrl('/home');
  }

  protected async signOut(): Promise<void> {
    this.chat.stop();
    await this.session.signOut().catch(() => undefined);
    await this.router.navigateByUrl('/');
  }

  private async backToSignIn(reason: string): Promise<void> {
    this.chat.stop();
    await this.session.signOut().catch(() => undefined);
    await this.router.navigateByUrl('/sign-in', { state: { reason } });
  }
}
