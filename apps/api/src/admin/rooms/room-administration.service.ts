import { Injectable } from '@nestjs/common';
import { type AdminJob, type AdminRoomDetail, type AdminRoomMember, type AdminRoomSummary, type Page } from '@conclave/contracts';
import { FilesService } from '../../files/files.service.js';
import { MessagesService } from '../../messages/messages.service.js';
import type { Actor } from '../../auth/principal/principal.js';
import { AdminRoomsService, type RoomRef } from '../../rooms/admin-rooms.service.js';
import { RoomsService } from '../../rooms/rooms.service.js';
import { AdminJobsService } from '../jobs/admin-jobs.service.js';
import { RoomDeletionRunner } from '../jobs/room-deletion.runner.js';
import { type ListRoomsQueryDto, ROOMS_CURSOR } from './dto.js';

/** The rooms half of the admin API, over the rooms, messages and files modules' services and the deletion jobs. */
@Injectable()
export class RoomAdministration {
  constructor(
    private readonly adminRooms: AdminRoomsService,
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
    private readonly files: FilesService,
    private readonly jobs: AdminJobsService,
    private readonly runner: RoomDeletionRunner,
  ) {}

  async list({ limit, cursor, q }: ListRoomsQueryDto): Promise<Page<AdminRoomSummary>> {
    const after = cursor === undefined ? undefined : ROOMS_CURSOR.decode(cursor);
    const entries = await this.adminRooms.list({ limit: limit + 1, after: after && { activity: after.a, id: after.i }, q });
    const page = ROOMS_CURSOR.page(entries, limit, ({ position }) => ({ a: position.activity, i: position.id }));
    return { items: page.items.map((entry) => entry.room), nextCursor: page.nextCursor };
  }

  async detail(room: RoomRef): Promise<AdminRoomDetail> {
    const facts = await this.adminRooms.detail(room.id);
    const [messageCount, files] = await Promise.all([this.messages.countOf(room.id), this.files.roomTotals(room.id)]);
    return { ...facts, messageCount, fileCount: files.count, fileBytes: files.bytes };
  }

  members(room: RoomRef): Promise<AdminRoomMember[]> {
    return this.adminRooms.members(room.id);
  }

  removeMember(room: RoomRef, memberId: string, by: Actor): Promise<void> {
    return this.rooms.removeMemberAsAdmin(room, memberId, by);
  }

  async setJoinsBlocked(room: RoomRef, blocked: boolean, by: Actor): Promise<AdminRoomDetail> {
    await this.adminRooms.setJoinsBlocked(room, blocked, by);
    return this.detail(room);
  }

  async transferOwnership(room: RoomRef, userId: string, by: Actor): Promise<AdminRoomDetail> {
    await this.adminRooms.transferOwnership(room, userId.toLowerCase(), by);
    return this.detail(room);
  }

  /** Queues the room's deletion (or finds the one under way) and starts it. */
  async delete(room: RoomRef, by: Actor): Promise<AdminJob> {
    const { job } = await this.jobs.queueRoomDeletion(room, by);
    this.runner.schedule(job.id);
    return job;
  }
}
