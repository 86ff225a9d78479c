import { USERS_CURSOR } from '../users/dto.js';
import { AUDIT_CURSOR } from '../audit/dto.js';
import { ROOMS_CURSOR } from '../rooms/dto.js';
import { isRecordOf, KeysetCursor } from './keyset-cursor.js';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('KeysetCursor', () => {
  it('gives back the key it encoded, as an opaque base64url string', () => {
    const cursor = USERS_CURSOR.encode({ username: 'alice.b-c_d' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(USERS_CURSOR.decode(cursor)).toEqual({ username: 'alice.b-c_d' });
    expect(AUDIT_CURSOR.decode(AUDIT_CURSOR.encode({ id: '9223372036854775807' }))).toEqual({ id: '9223372036854775807' });
  });

  it.each([
    ['not base64url', 'abc$def'],
    ['standard base64 padding', `${b64('{"username":"alice"}')}==`],
    ['not JSON', b64('username=alice')],
    ['JSON of another shape', b64('["alice"]')],
    ['a field too many', b64('{"username":"alice","id":"1"}')],
    ['a key that is no username', b64('{"username":"Alice Smith"}')],
    ['a key of another type', b64('{"username":42}')],
    ['null', b64('null')],
    ['empty', ''],
    ['far too long', 'A'.repeat(401)],
  ])('refuses %s', (_what, cursor) => {
    expect(USERS_CURSOR.decode(cursor)).toBeUndefined();
  });

  it("refuses another list's cursor, and ids an audit page cannot have", () => {
    expect(USERS_CURSOR.decode(AUDIT_CURSOR.encode({ id: '12' }))).toBeUndefined();
    expect(AUDIT_CURSOR.decode(USERS_CURSOR.encode({ username: 'alice' }))).toBeUndefined();
    for (const id of ['0', '-1', '1.5', '01', '9223372036854775808', '1e3']) expect(AUDIT_CURSOR.decode(b64(JSON.stringify({ id })))).toBeUndefined();
  });

  it('takes a room position to the microsecond, and refuses one no room can have', () => {
    const id = '3f2c8e1a-2b4d-4c6e-9a7b-1d2e3f4a5b6c';
    const key = { a: '2024-02-29T23:59:59.999999Z', i: id };
    expect(ROOMS_CURSOR.decode(ROOMS_CURSOR.encode(key))).toEqual(key);
    for (const a of ['2026-02-31T00:00:00.123456Z', '2026-01-01T00:00:00.123Z', '2026-01-01 00:00:00.123456Z', "2026-01-01'; DROP TABLE rooms; --", '0000-01-01T00:00:00.000000Z']) {
      expect(ROOMS_CURSOR.decode(b64(JSON.stringify({ a, i: id })))).toBeUndefined();
    }
    expect(ROOMS_CURSOR.decode(b64(JSON.stringify({ a: key.a, i: 'not-a-uuid' })))).toBeUndefined();
    expect(ROOMS_CURSOR.decode(b64(JSON.stringify({ a: key.a })))).toBeUndefined();
    expect(ROOMS_CURSOR.decode(USERS_CURSOR.encode({ username: 'alice' }))).toBeUndefined();
  });

  it('pages rows fetched one past the limit: a cursor at the last item when more follow, null at the end', () => {
    const list = new KeysetCursor('numbers', isRecordOf({ n: (v) => /^\d+$/.test(v) }));
    const key = (n: number) => ({ n: String(n) });
    const more = list.page([1, 2, 3], 2, key);
    expect(more.items).toEqual([1, 2]);
    expect(list.decode(more.nextCursor!)).toEqual({ n: '2' });
    expect(list.page([1, 2], 2, key)).toEqual({ items: [1, 2], nextCursor: null });
    expect(list.page([], 2, key)).toEqual({ items: [], nextCursor: null });
  });
});
