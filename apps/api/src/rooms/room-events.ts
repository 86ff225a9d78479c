import { Injectable } from '@nestjs/common';
import type { RoomUpdated } from '@conclave/contracts';
import { Subject } from 'rxjs';

export interface MembershipChange {
  roomId: string;
  code: string;
  userId: string;
  change: 'joined' | 'left' | 'removed';
  /** The owner, as the room is created: no "joined" line for that. */
  atCreation?: boolean;
}

/** Membership changes, for the live side (the gateway) to follow: joins, leaves, removals; settings changed; and rooms deleted (the last member left), for the files module to purge their blobs. */
@Injectable()
export class RoomEvents {
  readonly membership = new Subject<MembershipChange>();
  /** After the deletion committed. */
  readonly deleted = new Subject<{ roomId: string }>();
  /** The owner changed the room's name, member limit or password (after the change committed): members are told ('room:updated'). */
  readonly updated = new Subject<RoomUpdated>();
}
