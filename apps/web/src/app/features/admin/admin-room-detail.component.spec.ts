import { TestBed } from '@angular/core/testing';
import type { AdminRoomDetail, AdminRoomMember } from '@conclave/contracts';
import { AdminApi } from '../../core/admin/admin-api.service';
import { ApiError } from '../../core/api-client.service';
import { formatBytes } from '../../core/files/file-size';
import { AdminRoomDetailComponent } from './admin-room-detail.component';

const room = (extra: Partial<AdminRoomDetail> = {}): AdminRoomDetail => ({
  id: 'r-1',
  code: 'ABC234',
  name: 'General',
  ownerId: 'u-ada',
  ownerUsername: 'ada',
  memberCount: 2,
  joinsBlocked: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  lastActivityAt: '2026-01-02T00:00:00.000Z',
  pendingCount: 0,
  maxMembers: 50,
  hasPassword: false,
  history: 'shared',
  currentEpoch: 3,
  messageCount: 12,
  fileCount: 1,
  fileBytes: 2048,
  ...extra,
});

class FakeAdminApi {
  members: AdminRoomMember[] = [
    { id: 'u-ada', username: 'ada', role: 'owner', joinedAt: '2026-01-01T00:00:00.000Z' },
    { id: 'u-bob', username: 'bob', role: 'member', joinedAt: '2026-01-01T00:00:00.000Z' },
  ];
  detail = room();
  calls: string[] = [];
  refuse?: ApiError;
  async room() {
    return this.detail;
  }
  async roomMembers() {
    return this.members;
  }
  async removeMember(code: string, userId: string) {
    this.calls.push(`remove ${code} ${userId}`);
    if (this.refuse) throw this.refuse;
    this.members = this.members.filter((m) => m.id !== userId);
    this.detail = room({ memberCount: 1 });
  }
  async transferOwnership(code: string, userId: string) {
    this.calls.push(`owner ${code} ${userId}`);
    this.members = this.members.map((m) => ({ ...m, role: m.id === userId ? 'owner' : 'member' }));
    return (this.detail = room({ ownerId: userId, ownerUsername: 'bob' }));
  }
}

describe('AdminRoomDetailComponent', () => {
  async function render() {
    const api = new FakeAdminApi();
    await TestBed.configureTestingModule({ imports: [AdminRoomDetailComponent], providers: [{ provide: AdminApi, useValue: api }] }).compileComponents();
    const fixture = TestBed.createComponent(AdminRoomDetailComponent);
    fixture.componentRef.setInput('code', 'ABC234');
    const changed: AdminRoomDetail[] = [];
    fixture.componentInstance.changed.subscribe((r) => changed.push(r));
    const el = fixture.nativeElement as HTMLElement;
    const settle = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await fixture.whenStable();
    };
    const click = async (text: string) => {
      const button = [...el.querySelectorAll('button')].find((b) => b.textContent?.replace(/\s+/g, ' ').trim() === text);
      if (!button) throw new Error(`no button ${text}`);
      button.click();
      await settle();
    };
    await settle();
    return { api, el, settle, click, changed };
  }

  it('shows the room’s figures and its members, the owner without a Remove button', async () => {
    const { el } = await render();
    expect(el.querySelector('h3')?.textContent).toContain('General');
    expect(el.querySelector('dl')?.textContent).toContain('12');
    expect(el.querySelector('dl')?.textContent).toContain(`1 (${formatBytes(2048)})`);
    const rows = [...el.querySelectorAll('ul.people li')];
    expect(rows.map((r) => r.querySelector('.name')?.textContent)).toEqual(['ada', 'bob']);
    expect(rows[0]!.textContent).not.toContain('Remove');
    expect(rows[1]!.textContent).toContain('Remove');
  });

  it('removes a member only after the confirmation, then shows the room as it now is', async () => {
    const { api, el, click, changed } = await render();
    await click('Remove bob');
    expect(api.calls).toEqual([]);
    await click('Yes, remove bob');
    expect(api.calls).toEqual(['remove ABC234 u-bob']);
    expect([...el.querySelectorAll('ul.people .name')].map((n) => n.textContent)).toEqual(['ada']);
    expect(changed.at(-1)?.memberCount).toBe(1);
    expect(el.querySelector('[role="status"]')?.textContent).toContain('bob was removed');
  });

  it('shows a refused removal in the server’s words and changes nothing', async () => {
    const { api, el, click, changed } = await render();
    api.refuse = new ApiError(409, 'The owner cannot be removed: transfer the room first');
    await click('Remove bob');
    await click('Yes, remove bob');
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('The owner cannot be removed');
    expect([...el.querySelectorAll('ul.people .name')].map((n) => n.textContent)).toEqual(['ada', 'bob']);
    expect(changed).toEqual([]);
  });

  it('transfers ownership to the chosen member after the confirmation', async () => {
    const { api, el, settle, click, changed } = await render();
    const select = el.querySelector<HTMLSelectElement>('#new-owner')!;
    select.value = 'u-bob';
    select.dispatchEvent(new Event('change'));
    await settle();
    await click('Transfer');
    expect(el.querySelector('[role="alertdialog"]')?.textContent).toContain('Make bob the owner of General? ada stays a member.');
    await click('Yes, transfer');
    expect(api.calls).toEqual(['owner ABC234 u-bob']);
    expect(changed.at(-1)?.ownerUsername).toBe('bob');
    expect(el.querySelector('dl dd')?.textContent).toBe('bob');
  });
});
