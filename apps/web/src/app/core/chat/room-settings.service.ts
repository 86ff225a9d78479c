import { inject, Injectable } from '@angular/core';
import type { RoomSummary, UpdateRoomRequest } from '@conclave/contracts';
import { ApiClient } from '../api-client.service';
import { ChatService } from './chat.service';
import { RoomAccessService } from './room-access.service';
import { withRoomUpdate } from './room-update';

type SettingsRoom = Pick<RoomSummary, 'id' | 'code' | 'name' | 'maxMembers' | 'hasPassword'>;

/**
 * The owner's room settings (docs/protocol.md §6): name and member limit, and the end-to-end room
 * password (set, changed or removed; only what this browser derives reaches the server). Each change
 * shows in this browser's room list at once; the other members' lists follow 'room:updated'.
 */
@Injectable({ providedIn: 'root' })
export class RoomSettingsService {
  private readonly api = inject(ApiClient);
  private readonly chat = inject(ChatService);
  private readonly access = inject(RoomAccessService);

  /** Renames the room and/or changes its member limit; only what differs from `room` is sent (nothing at all: no request). */
  async update(room: SettingsRoom, wanted: { name: string; maxMembers: number }): Promise<boolean> {
    const changes: UpdateRoomRequest = {
      ...(wanted.name.trim() !== room.name ? { name: wanted.name.trim() } : {}),
      ...(wanted.maxMembers !== room.maxMembers ? { maxMembers: wanted.maxMembers } : {}),
    };
    if (!Object.keys(changes).length) return false;
    const summary = await this.api.updateRoom(room.code, changes);
    this.apply(room, { name: summary.name, maxMembers: summary.maxMembers, hasPassword: summary.hasPassword });
    return true;
  }

  /** Sets or changes the password: joinKey and the sealed admitKey, derived here (RoomAccessService). */
  async setPassword(room: SettingsRoom, password: string): Promise<void> {
    await this.access.setPassword(room, password);
    this.apply(room, { hasPassword: true });
  }

  /** Removes the password: from now on a code alone asks for a member's approval. */
  async removePassword(room: SettingsRoom): Promise<void> {
    await this.api.removeRoomPassword(room.code);
    this.apply(room, { hasPassword: false });
  }

  private apply(room: SettingsRoom, changed: Partial<Pick<RoomSummary, 'name' | 'maxMembers' | 'hasPassword'>>): void {
    this.chat.rooms.update((rooms) => {
      const current = rooms.find((r) => r.id === room.id) ?? room;
      return withRoomUpdate(rooms, { roomId: room.id, code: room.code, name: current.name, maxMembers: current.maxMembers, hasPassword: current.hasPassword, ...changed });
    });
  }
}
