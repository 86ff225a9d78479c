import { BadRequestException, type Type, ValidationPipe } from '@nestjs/common';
import { API_TOKEN_MAX_DAYS, API_TOKEN_NAME_MAX } from '@conclave/contracts';
import { AUDIT_CURSOR, AuditQueryDto } from '../audit/dto.js';
import { ListRoomsQueryDto, ROOMS_CURSOR } from '../rooms/dto.js';
import { CreateApiTokenDto } from '../tokens/dto.js';
import { AdminUsersQueryDto, USERS_CURSOR } from '../users/dto.js';

// The global pipe as main.ts configures it.
const pipe = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
const DAY_MS = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();

async function accept<T>(type: Type<T>, value: object, where: 'body' | 'query' = 'body'): Promise<T> {
  return pipe.transform(value, { type: where, metatype: type });
}

async function refusal(type: Type<unknown>, value: object, where: 'body' | 'query' = 'body'): Promise<string[]> {
  const err = await pipe.transform(value, { type: where, metatype: type }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof BadRequestException)) throw new Error(`accepted ${JSON.stringify(value)}`);
  return (err.getResponse() as { message: string[] }).message;
}

describe('POST tokens body', () => {
  const valid = { name: 'Provisioning', scopes: ['rooms:read', 'users:write'], expiresAt: inDays(30) };

  it('accepts a name, distinct known scopes and an expiry within the limit (the name trimmed)', async () => {
    const dto = await accept(CreateApiTokenDto, { ...valid, name: '  Provisioning  ' });
    expect(dto).toEqual({ ...valid, name: 'Provisioning' });
    await accept(CreateApiTokenDto, { ...valid, expiresAt: inDays(API_TOKEN_MAX_DAYS - 0.01) });
    await accept(CreateApiTokenDto, { ...valid, name: 'x'.repeat(API_TOKEN_NAME_MAX) });
  });

  it.each([
    ['no name', { name: undefined }, 'name is required: what the token is for'],
    ['a blank name', { name: '   ' }, 'name must not be empty'],
    ['a long name', { name: 'x'.repeat(API_TOKEN_NAME_MAX + 1) }, `name must be at most ${API_TOKEN_NAME_MAX} characters`],
    ['no scopes', { scopes: [] }, /^scopes must be a non-empty list of distinct scopes from: rooms:read, /],
    ['scopes not a list', { scopes: 'rooms:read' }, /^scopes must be a non-empty list/],
    ['an unknown scope', { scopes: ['rooms:read', 'rooms:admin'] }, 'scopes: "rooms:admin" is not a scope (rooms:read, rooms:write, users:read, users:write, audit:read, metrics:read)'],
    ['a repeated scope', { scopes: ['rooms:read', 'rooms:read'] }, 'scopes must not name a scope twice'],
    ['no expiry', { expiresAt: undefined }, /^expiresAt must be an ISO 8601 date-time with its zone/],
    ['an expiry that is no date', { expiresAt: 'next tuesday' }, /^expiresAt must be an ISO 8601/],
    ['an impossible date', { expiresAt: '2027-02-30T00:00:00Z' }, /^expiresAt must be an ISO 8601/],
    ['a time without its zone', { expiresAt: '2027-01-31T12:00:00' }, /^expiresAt must be an ISO 8601/],
    ['a week date', { expiresAt: '2027-W05' }, /^expiresAt must be an ISO 8601/],
    ['a past expiry', { expiresAt: inDays(-1) }, 'expiresAt must be in the future'],
    ['an expiry too far away', { expiresAt: inDays(API_TOKEN_MAX_DAYS + 1) }, `expiresAt must be at most ${API_TOKEN_MAX_DAYS} days from now`],
    ['an unknown field', { createdBy: 'someone' }, 'property createdBy should not exist'],
  ])('refuses %s with a clear message', async (_what, change, message) => {
    const messages = await refusal(CreateApiTokenDto, { ...valid, ...change });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
  });
});

describe('list queries', () => {
  it('default the limit to 50 and read a numeric limit, a cursor and a lowercased q', async () => {
    expect(await accept(AdminUsersQueryDto, {}, 'query')).toEqual({ limit: 50 });
    const cursor = USERS_CURSOR.encode({ username: 'bob' });
    expect(await accept(AdminUsersQueryDto, { limit: '200', cursor, q: ' AL ' }, 'query')).toEqual({ limit: 200, cursor, q: 'al' });
    expect(await accept(AdminUsersQueryDto, { q: '' }, 'query')).toEqual({ limit: 50 });
  });

  it.each([
    ['limit 0', { limit: '0' }, 'limit must be a whole number from 1 to 200'],
    ['limit 201', { limit: '201' }, 'limit must be a whole number from 1 to 200'],
    ['a fractional limit', { limit: '1.5' }, 'limit must be a whole number from 1 to 200'],
    ['an empty limit', { limit: '' }, 'limit must be a whole number from 1 to 200'],
    ['a repeated limit', { limit: ['1', '2'] }, 'limit must be a whole number from 1 to 200'],
    ['a made-up cursor', { cursor: 'bm9wZQ' }, 'cursor is not a cursor of the users list: pass back a nextCursor unchanged'],
    ["the audit list's cursor", { cursor: AUDIT_CURSOR.encode({ id: '5' }) }, 'cursor is not a cursor of the users list: pass back a nextCursor unchanged'],
    ['a q no username starts with', { q: 'al ice' }, 'q must be the start of a username: 1 to 32 letters, digits, _ . or -'],
  ])('refuse %s (users)', async (_what, query, message) => {
    expect(await refusal(AdminUsersQueryDto, query, 'query')).toEqual([message]);
  });

  it('read the rooms list query as the other lists: the same limit, its own cursor, a trimmed q', async () => {
    expect(await accept(ListRoomsQueryDto, {}, 'query')).toEqual({ limit: 50 });
    const cursor = ROOMS_CURSOR.encode({ a: '2026-12-03T16:22:05.123456Z', i: '3f2c8e1a-2b4d-4c6e-9a7b-1d2e3f4a5b6c' });
    expect(await accept(ListRoomsQueryDto, { limit: '7', cursor, q: ' design ' }, 'query')).toEqual({ limit: 7, cursor, q: 'design' });
  });

  it.each([
    ['limit 0', { limit: '0' }, 'limit must be a whole number from 1 to 200'],
    ['a limit in words', { limit: 'ten' }, 'limit must be a whole number from 1 to 200'],
    ['a limit in exponent form', { limit: '1e3' }, 'limit must be a whole number from 1 to 200'],
    ["the users list's cursor", { cursor: USERS_CURSOR.encode({ username: 'bob' }) }, 'cursor is not one this list gave out: pass nextCursor back unchanged'],
    ['a blank q', { q: '  ' }, 'q must not be empty'],
  ])('refuse %s (rooms)', async (_what, query, message) => {
    expect(await refusal(ListRoomsQueryDto, query, 'query')).toEqual([message]);
  });

  it('read the audit filters', async () => {
    const query = { actor: '3f2c9a4e-8b1d-4c6e-9a7f-2d5b8e1c4a90', action: 'admin.', target: 'K7QX', from: '2026-01-01', to: '2026-01-02T00:00:00+02:00', limit: '10' };
    expect(await accept(AuditQueryDto, query, 'query')).toEqual({ ...query, limit: 10 });
  });

  it.each([
    ['an actor that is no user id', { actor: 'alice' }, 'actor must be a user id (a UUID)'],
    ['an action with spaces', { action: 'user disabled' }, "action must be an event name (e.g. user.disabled) or a prefix ending in '.' (e.g. admin.)"],
    ['an action with a wildcard', { action: 'user.%' }, "action must be an event name (e.g. user.disabled) or a prefix ending in '.' (e.g. admin.)"],
    ['a long target', { target: 'x'.repeat(201) }, 'target must be an id of 1 to 200 characters'],
    ['a repeated target', { target: ['a', 'b'] }, 'target must be an id of 1 to 200 characters'],
    ['a repeated action', { action: ['user.', 'admin.'] }, "action must be an event name (e.g. user.disabled) or a prefix ending in '.' (e.g. admin.)"],
    ['an action too long', { action: `a.${'b'.repeat(63)}` }, "action must be an event name (e.g. user.disabled) or a prefix ending in '.' (e.g. admin.)"],
    ['a from that is no time', { from: 'yesterday' }, 'from must be an ISO 8601 date-time with its zone (e.g. 2026-01-31T12:00:00Z) or a date (2026-01-31)'],
    ['a to before from', { from: '2026-01-02', to: '2026-01-01' }, 'to must be later than from'],
    ['a to equal to from', { from: '2026-01-02', to: '2026-01-02T00:00:00Z' }, 'to must be later than from'],
    ["the users list's cursor", { cursor: USERS_CURSOR.encode({ username: 'bob' }) }, 'cursor is not a cursor of the audit list: pass back a nextCursor unchanged'],
  ])('refuse %s (audit)', async (_what, query, message) => {
    expect(await refusal(AuditQueryDto, query, 'query')).toEqual([message]);
  });
});
