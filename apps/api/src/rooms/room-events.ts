import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

export interface MembershipChange {
  roomId: string;
  code: string;
  userId: string;
  change: 'joined' | 'left' | 'removed';
  /** The owner, as the room is created: no "joined" line for that. */
  atCreation?: boolean;
}

/** Membership changes, for the live side (the gateway) to follow: joins, leaves, removals; and rooms deleted (the last member left), for the files module to purge their blobs. */
@Injectable()
export class RoomEvents {
  readonly membership = new Subject<MembershipChange>();
  /** After the deletion committed. */
  readonly deleted = new Subject<{ roomId: string }>();
}
