import { TestBed } from '@angular/core/testing';
import { type CreateInviteRequest, INVITE_ID_PATTERN, PASSWORD_VERIFIER_ID, type SetRoomPasswordRequest } from '@conclave/contracts';
import { deriveRoomPassword, generateEpochKey, inviteIdFromSecret, inviteVerifier, openVerifier } from '@conclave/crypto';
import { ApiClient } from '../api-client.service';
import { RoomAccessService } from './room-access.service';
import { RoomKeysService } from './room-keys.service';

const ROOM = { id: 'room-1', code: 'ABCD' };

class FakeApi {
  invite?: CreateInviteRequest;
  password?: SetRoomPasswordRequest;
  async createInvite(_code: string, body: CreateInviteRequest) {
    this.invite = body;
    return { id: body.id, createdBy: 'me', createdAt: new Date().toISOString(), expiresAt: body.expiresAt, maxUses: body.maxUses, uses: 0, revoked: false };
  }
  async setRoomPassword(_code: string, body: SetRoomPasswordRequest) {
    this.password = body;
  }
}

describe('RoomAccessService', () => {
  let api: FakeApi;
  let access: RoomAccessService;
  let epochKey: CryptoKey;

  beforeEach(async () => {
    api = new FakeApi();
    epochKey = await generateEpochKey();
    TestBed.configureTestingModule({
      providers: [
        { provide: ApiClient, useValue: api },
        { provide: RoomKeysService, useValue: { keyForSending: async () => ({ epoch: 3, key: epochKey }) } },
      ],
    });
    access = TestBed.inject(RoomAccessService);
  });

  it('makes a link whose secret is only in the fragment, and seals its verifier under the current epoch', async () => {
    const before = Date.now();
    const { link } = await access.createInvite(ROOM, { days: 2, uses: 5 }, 'https://chat.example');
    const [base, secret] = link.split('#');
    expect(base).toBe('https://chat.example/join/ABCD');
    const body = api.invite!;
    expect(JSON.stringify(body)).not.toContain(secret!);
    expect(body.id).toMatch(INVITE_ID_PATTERN);
    expect(body.id).toBe(await inviteIdFromSecret(secret!));
    expect(body.maxUses).toBe(5);
    expect(Date.parse(body.expiresAt) - before).toBeGreaterThanOrEqual(2 * 86_400_000);
    expect(body.sealed.epoch).toBe(3);
    const opened = await openVerifier({ roomId: ROOM.id, verifierId: body.id, sealed: body.sealed, epochKey });
    expect([...opened]).toEqual([...(await inviteVerifier(secret!))]);
  });

  it('sets the password as its joinKey and the sealed admitKey, never the password', async () => {
    await access.setPassword(ROOM, 'open sesame please');
    const body = api.password!;
    expect(JSON.stringify(body)).not.toContain('open sesame');
    const derived = await deriveRoomPassword('open sesame please', ROOM.code);
    expect(body.joinKey).toBe(derived.joinKey);
    const opened = await openVerifier({ roomId: ROOM.id, verifierId: PASSWORD_VERIFIER_ID, sealed: body.sealed, epochKey });
    expect([...opened]).toEqual([...derived.admitKey]);
  });
});
