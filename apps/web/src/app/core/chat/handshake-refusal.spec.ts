import { passingRefusal } from './handshake-refusal';

const refused = (data: unknown) => Object.assign(new Error('refused'), { data });

describe('passingRefusal', () => {
  it('tries again after the database was unavailable or the account had every socket open', () => {
    expect(passingRefusal(refused({ code: 'unavailable', message: 'The database is unavailable' }))).toBe(true);
    expect(passingRefusal(refused({ code: 'rate-limited', message: 'too many connections' }))).toBe(true);
  });

  it('does not retry a refusal that signing in again must answer, nor a transport error without a code', () => {
    expect(passingRefusal(refused({ code: 'unauthorized', message: 'sign in first' }))).toBe(false);
    expect(passingRefusal(new Error('websocket error'))).toBe(false);
    expect(passingRefusal(refused('unavailable'))).toBe(false);
  });
});
