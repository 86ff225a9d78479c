import { characterCount } from '@conclave/crypto';
import { bodyProblem, lastUnbroken } from './conversation.service';

describe('bodyProblem', () => {
  it('accepts 1 to 150 code points, an emoji counting once', () => {
    expect(bodyProblem('hi', characterCount)).toBeNull();
    expect(bodyProblem('😀'.repeat(150), characterCount)).toBeNull();
  });

  it('refuses empty, blank and over-long bodies', () => {
    expect(bodyProblem('   \n', characterCount)).toBe('Type a message first');
    expect(bodyProblem('a'.repeat(151), characterCount)).toBe('Too long: 151 of 150 characters');
  });
});

describe('lastUnbroken (where a resync after a reconnection starts)', () => {
  it('is the newest seq when nothing is missing, 0 when nothing is shown', () => {
    expect(lastUnbroken([3, 4, 5, undefined])).toBe(5);
    expect(lastUnbroken([undefined])).toBe(0);
  });

  it('stops before the first hole: a message still on its way from another instance is fetched, not skipped', () => {
    expect(lastUnbroken([7, 8, 10, 11])).toBe(8);
    expect(lastUnbroken([11, 7, 8, 8, 10])).toBe(8);
  });
});
