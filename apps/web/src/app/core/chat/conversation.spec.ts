import { characterCount } from '@conclave/crypto';
import { bodyProblem } from './conversation.service';

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
