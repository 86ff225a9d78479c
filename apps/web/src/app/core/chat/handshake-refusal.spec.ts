import { RETRY_TOO_MANY_MS, RETRY_UNAVAILABLE_MS, retryAfterRefusal } from './handshake-refusal';

const refused = (data: unknown) => Object.assign(new Error('refused'), { data });

describe('retryAfterRefusal', () => {
  it('tries again soon after the database was unavailable, and seldom when the account had every socket open', () => {
    expect(retryAfterRefusal(refused({ code: 'unavailable', message: 'The database is unavailable' }))).toBe(RETRY_UNAVAILABLE_MS);
    expect(retryAfterRefusal(refused({ code: 'rate-limited', message: 'too many connections' }))).toBe(RETRY_TOO_MANY_MS);
    expect(RETRY_TOO_MANY_MS).toBeGreaterThan(RETRY_UNAVAILABLE_MS);
  });

  it('does not retry a refusal that signing in again must answer, nor an error without a code', () => {
    expect(retryAfterRefusal(refused({ code: 'unauthorized', message: 'sign in first' }))).toBeUndefined();
    expect(retryAfterRefusal(new Error('websocket error'))).toBeUndefined();
    expect(retryAfterRefusal(refused('unavailable'))).toBeUndefined();
  });
});
