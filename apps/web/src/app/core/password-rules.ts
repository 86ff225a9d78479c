import { PASSWORD_MIN_LENGTH } from '@conclave/contracts';

/** Words at the root of the passwords attackers try first; a password that is one of them plus digits or symbols is refused. */
const COMMON_ROOTS = new Set([
  'password', 'passw0rd', 'qwerty', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'letmein', 'welcome', 'admin', 'administrator', 'iloveyou',
  'monkey', 'dragon', 'football', 'baseball', 'basketball', 'soccer', 'sunshine', 'princess', 'master', 'shadow', 'superman', 'batman',
  'trustno', 'abc', 'abcdef', 'login', 'secret', 'changeme', 'default', 'starwars', 'whatever', 'computer', 'internet', 'conclave',
  'hello', 'freedom', 'michael', 'jennifer', 'charlie', 'jordan', 'hunter', 'ranger', 'summer', 'winter', 'spring', 'autumn',
]);

/**
 * Why a password is refused, or undefined when it is acceptable: at least 12 characters, not the
 * username, not one character or a run of keys, not a common word dressed up with digits.
 * (The server never sees the password, so this check can only live here.)
 */
export function passwordProblem(password: string, username: string): string | undefined {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters`;
  const lower = password.toLowerCase();
  const name = username.trim().toLowerCase();
  if (name.length >= 3 && lower.includes(name)) return 'Do not use your username in your password';
  if (/^(.)\1*$/.test(password)) return 'Use more than one repeated character';
  if (isRun(lower)) return 'Avoid runs like 123456789012 or abcdefghijkl';
  const root = lower.replace(/[^a-z]/g, '');
  if (root.length === 0) return 'Use letters as well as digits or symbols';
  // "P@ssw0rd!2024": drop the trailing digits and symbols, undo the usual letter swaps.
  const unleet = lower.replace(/[^a-z]+$/, '').replace(/[@4]/g, 'a').replace(/0/g, 'o').replace(/3/g, 'e').replace(/[$5]/g, 's').replace(/[1!]/g, 'i').replace(/[^a-z]/g, '');
  if ([root, dedupe(root), unleet].some((candidate) => COMMON_ROOTS.has(candidate))) return 'This password is too common: choose something less guessable';
  return undefined;
}

/** 0123456789…, abcdef…, qwerty… and their reverses. */
function isRun(text: string): boolean {
  const rows = ['0123456789', 'abcdefghijklmnopqrstuvwxyz', 'qwertyuiopasdfghjklzxcvbnm'];
  return rows.some((row) => {
    const doubled = row + row;
    return doubled.includes(text) || [...doubled].reverse().join('').includes(text);
  });
}

/** "passwordpassword" → "password". */
function dedupe(root: string): string {
  for (let size = 1; size <= root.length / 2; size++) {
    if (root.length % size === 0 && root.slice(0, size).repeat(root.length / size) === root) return root.slice(0, size);
  }
  return root;
}
