import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { JoinResult, JoinRoomRequest, PendingRoom } from '@conclave/contracts';
import { checkJoinProof, deriveRoomPassword, exportPublicKeys, generateIdentity, inviteIdFromSecret, inviteVerifier, newInviteSecret } from '@conclave/crypto';
import { ApiClient } from '../api-client.service';
import { SessionService } from '../session.service';
import { JoinService } from './join.service';

const CODE = 'WXYZ';
const PENDING: PendingRoom = { code: CODE, name: 'Quiet room', via: 'approval', requestedAt: '2026-01-01T00:00:00Z' };

class FakeApi {
  readonly joins: Array<{ code: string; body: JoinRoomRequest }> = [];
  readonly cancelled: string[] = [];
  answer: JoinResult = { status: 'pending', room: PENDING };
  async joinRoom(code: string, body: JoinRoomRequest) {
    this.joins.push({ code, body });
    return this.answer;
  }
  async pendingRooms() {
    return [PENDING];
  }
  async cancelJoin(code: string) {
    this.cancelled.push(code);
  }
}

describe('JoinService', () => {
  let api: FakeApi;
  let joins: JoinService;
  let me: { id: string; username: string; publicKeys: Awaited<ReturnType<typeof exportPublicKeys>> };

  beforeAll(async () => {
    me = { id: 'cat-id', username: 'cat', publicKeys: await exportPublicKeys(await generateIdentity()) };
  }, 30_000);

  beforeEach(() => {
    api = new FakeApi();
    TestBed.configureTestingModule({ providers: [{ provide: ApiClient, useValue: api }, { provide: SessionService, useValue: { user: signal(me) } }] });
    joins = TestBed.inject(JoinService);
  });

  const subject = () => ({ code: CODE, joinerId: me.id, joinerKeys: me.publicKeys });

  it('asks with the code alone, and lists the room as waiting until it is resolved', async () => {
    await joins.join(CODE);
    expect(api.joins).toEqual([{ code: CODE, body: {} }]);
    expect(joins.pending()).toEqual([PENDING]);
    joins.resolved({ roomId: 'r', code: CODE, userId: me.id, outcome: 'declined' });
    expect(joins.pending()).toEqual([]);
    expect(joins.declined()).toEqual([CODE]);
    await joins.join(CODE);
    expect(joins.declined()).toEqual([]);
  });

  it('sends the invite id and a proof for this user and these keys, never the secret', async () => {
    const secret = newInviteSecret();
    await joins.join(CODE, { inviteSecret: secret });
    const body = api.joins[0]!.body;
    expect(JSON.stringify(body)).not.toContain(secret);
    expect(body.invite?.id).toBe(await inviteIdFromSecret(secret));
    await expect(checkJoinProof(await inviteVerifier(secret), subject(), body.invite!.proof)).resolves.toBe(true);
  });

  it('sends the joinKey and a password proof, never the password', async () => {
    const password = 'correct horse battery';
    await joins.join(CODE, { password });
    const body = api.joins[0]!.body;
    expect(JSON.stringify(body)).not.toContain(password);
    const derived = await deriveRoomPassword(password, CODE);
    expect(body.joinKey).toBe(derived.joinKey);
    await expect(checkJoinProof(derived.admitKey, subject(), body.proof!)).resolves.toBe(true);
  });

  it('does not list a room the user is already a member of; cancels a waiting request', async () => {
    api.answer = { status: 'member', room: { id: 'r', code: CODE, name: 'Quiet room', history: 'shared', maxMembers: 5, hasPassword: false, memberCount: 2, role: 'member', currentEpoch: 1, unread: 0 } };
    await joins.join(CODE);
    expect(joins.pending()).toEqual([]);
    await joins.refresh();
    expect(joins.pending()).toEqual([PENDING]);
    await joins.cancel(CODE);
    expect(api.cancelled).toEqual([CODE]);
    expect(joins.pending()).toEqual([]);
  });
});
