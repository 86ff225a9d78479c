import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

export interface MembershipChange {
  roomId: string;
  code: string;
  userId: string;
  change: 'joined' | 'left' | 'removed';
}

/** Membership changes, for the live side (the gateway) to follow: joins, leaves, removals. */
@Injectable()
export class RoomEvents {
  readonly membership = new Subject<MembershipChange>();
}
