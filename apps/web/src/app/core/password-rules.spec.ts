import { passwordProblem } from './password-rules';

describe('passwordProblem', () => {
  it.each([
    ['short one 1', 'Use at least 12 characters'],
    ['password1234', 'This password is too common: choose something less guessable'],
    ['P@ssw0rd!2024', 'This password is too common: choose something less guessable'],
    ['passwordpassword', 'This password is too common: choose something less guessable'],
    ['123456789012', 'Avoid runs like 123456789012 or abcdefghijkl'],
    ['qwertyuiopas', 'Avoid runs like 123456789012 or abcdefghijkl'],
    ['aaaaaaaaaaaaaa', 'Use more than one repeated character'],
    ['!!!!----2024##', 'Use letters as well as digits or symbols'],
    ['my name is alice ok', 'Do not use your username in your password'],
  ])('refuses %j: %s', (password, reason) => {
    expect(passwordProblem(password, 'alice')).toBe(reason);
  });

  it.each(['Quiet otter sings at noon', 'correct horse battery staple', 'ünïcödé pässwörd ✓ 42'])('accepts %j', (password) => {
    expect(passwordProblem(password, 'alice')).toBeUndefined();
  });

  it('counts characters as code points, so emoji count once', () => {
    expect(passwordProblem('🔐'.repeat(11), 'alice')).toBe('Use at least 12 characters');
  });
});
