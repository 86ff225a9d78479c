import { Injectable } from '@nestjs/common';
import type { AdmissionResolved, JoinRequest } from '@conclave/contracts';
import { Subject } from 'rxjs';

/** Join requests and their outcomes, for the live side (the admissions gateway) to pass on to members and joiners. */
@Injectable()
export class MembershipEvents {
  /** Someone asked to join (or asked again): the room's online members are told. */
  readonly requested = new Subject<JoinRequest>();
  /** A request was granted, declined or withdrawn (withdrawn is told as declined): the room's members and the joiner are told. */
  readonly resolved = new Subject<AdmissionResolved>();
}
