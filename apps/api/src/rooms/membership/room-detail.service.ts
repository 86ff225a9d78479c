import { Injectable } from '@nestjs/common';
import type { RoomDetail } from '@conclave/contracts';
import { RoomsService } from '../rooms.service.js';
import { AdmissionsService } from './admissions.service.js';
import { JoinRequestsService } from './join-requests.service.js';

/** A room as its members' browsers need it: members and keys, with the genesis, admissions and waiting requests to check them against. */
@Injectable()
export class RoomDetailService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly admissions: AdmissionsService,
    private readonly requests: JoinRequestsService,
  ) {}

  async detail(code: string, userId: string): Promise<RoomDetail> {
    const room = await this.rooms.detail(code, userId);
    const [genesis, admissions, pending] = await Promise.all([this.admissions.genesisOf(room.id), this.admissions.admissionsOf(room.id), this.requests.requestsIn([room.id])]);
    return { ...room, genesis, admissions, pending };
  }
}
