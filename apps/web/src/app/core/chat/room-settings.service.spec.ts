import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { RoomSummary, UpdateRoomRequest } from '@conclave/contracts';
import { ApiClient } from '../api-client.service';
import { ChatService } from './chat.service';
import { RoomAccessService } from './room-access.service';
import { withRoomUpdate } from './room-update';
import { RoomSettingsService } from './room-settings.service';

const room = (over: Partial<RoomSummary> = {}): RoomSummary => ({
  id: 'room-1',
  code: 'ABCD',
  name: 'Design',
  history: 'shared',
  maxMembers: 10,
  hasPassword: false,
  memberCount: 2,
  role: 'owner',
  currentEpoch: 1,
  unread: 3,
  ...over,
});

class FakeApi {
  readonly updates: Array<{ code: string; body: UpdateRoomRequest }> = [];
  readonly removed: string[] = [];
  failWith?: Error;
  /** The room as the server has it. */
  private stored = room();
  async updateRoom(code: string, body: UpdateRoomRequest): Promise<RoomSummary> {
    if (this.failWith) throw this.failWith;
    this.updates.push({ code, body });
    this.stored = { ...this.stored, ...body };
    return { ...this.stored, unread: 0 };
  }
  async removeRoomPassword(code: string): Promise<void> {
    this.removed.push(code);
  }
}

describe('RoomSettingsService', () => {
  let api: FakeApi;
  let rooms: ReturnType<typeof signal<RoomSummary[]>>;
  let passwords: Array<{ code: string; password: string }>;
  let settings: RoomSettingsService;

  beforeEach(() => {
    api = new FakeApi();
    rooms = signal([room(), room({ id: 'room-2', code: 'WXYZ', name: 'Other' })]);
    passwords = [];
    TestBed.configureTestingModule({
      providers: [
        { provide: ApiClient, useValue: api },
        { provide: ChatService, useValue: { rooms } },
        { provide: RoomAccessService, useValue: { setPassword: async (r: { code: string }, password: string) => void passwords.push({ code: r.code, password }) } },
      ],
    });
    settings = TestBed.inject(RoomSettingsService);
  });

  it('sends only what changed (the name trimmed), and shows it in the room list at once, keeping unread and the other rooms', async () => {
    expect(await settings.update(room(), { name: '  Design crew ', maxMembers: 10 })).toBe(true);
    expect(api.updates).toEqual([{ code: 'ABCD', body: { name: 'Design crew' } }]);
    expect(rooms()[0]).toMatchObject({ name: 'Design crew', maxMembers: 10, unread: 3 });
    expect(rooms()[1]).toEqual(room({ id: 'room-2', code: 'WXYZ', name: 'Other' }));

    await settings.update(rooms()[0]!, { name: 'Design crew', maxMembers: 4 });
    expect(api.updates[1]).toEqual({ code: 'ABCD', body: { maxMembers: 4 } });
    expect(rooms()[0]).toMatchObject({ name: 'Design crew', maxMembers: 4 });
  });

  it('makes no request when nothing changed', async () => {
    expect(await settings.update(room(), { name: 'Design ', maxMembers: 10 })).toBe(false);
    expect(api.updates).toEqual([]);
  });

  it('leaves the list as it was when the server refuses', async () => {
    api.failWith = new Error('This room has 3 members: the member limit cannot be below that (2 asked); remove members first');
    await expect(settings.update(room(), { name: 'Design', maxMembers: 2 })).rejects.toThrow(/below that/);
    expect(rooms()[0]).toEqual(room());
  });

  it('sets the password through the derivation of RoomAccessService and removes it, marking the room either way', async () => {
    await settings.setPassword(room(), 'a long room password');
    expect(passwords).toEqual([{ code: 'ABCD', password: 'a long room password' }]);
    expect(rooms()[0]!.hasPassword).toBe(true);
    await settings.removePassword(rooms()[0]!);
    expect(api.removed).toEqual(['ABCD']);
    expect(rooms()[0]!.hasPassword).toBe(false);
  });

  it('applies a room:updated to its room only', () => {
    const updated = withRoomUpdate(rooms(), { roomId: 'room-2', code: 'WXYZ', name: 'Renamed', maxMembers: 3, hasPassword: true });
    expect(updated[0]).toEqual(room());
    expect(updated[1]).toMatchObject({ name: 'Renamed', maxMembers: 3, hasPassword: true, role: 'owner', unread: 3 });
  });
});
