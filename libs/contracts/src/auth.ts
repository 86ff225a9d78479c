import type { KeyBackup, PublicKeys, SealedContactBook } from './e2e.js';

/** Usernames: 3-32 of a-z 0-9 _ . - (the client lowercases what the user types). */
export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,32}$/;
/** Checked in the browser only: the server never sees the password. */
export const PASSWORD_MIN_LENGTH = 12;
/** The session cookie; __Host- pins it to this origin, path / and Secure. */
export const SESSION_COOKIE = '__Host-conclave.sid';
/**
 * The device token (OWASP "device cookies"): set at each successful sign-in, HttpOnly, signed by the
 * server, naming the user. Sign-ins that carry a valid one for their username have a counter of their
 * own and are not held up by a lockout of that username.
 */
export const DEVICE_COOKIE = '__Host-conclave.device';

export const AUTH_PATHS = {
  captcha: '/api/auth/captcha',
  register: '/api/auth/register',
  login: '/api/auth/login',
  logout: '/api/auth/logout',
  me: '/api/auth/me',
  session: '/api/auth/session',
  password: '/api/auth/password',
  /** POST: the signed-in user's sealed key backup, for proving the current authKey (a password change re-seals it). */
  keyBackup: '/api/auth/key-backup',
  /** GET / PUT: the signed-in user's sealed contact book (SealedContactBook); 204 on GET when there is none yet. */
  contacts: '/api/auth/contacts',
  userKeys: (userId: string) => `/api/users/${encodeURIComponent(userId)}/keys`,
} as const;

/** GET /api/auth/captcha: which captcha the sign-up page shows. */
export type CaptchaConfig =
  | { provider: 'altcha'; /** The challenge for the ALTCHA widget (JSON). */ challenge: unknown }
  | { provider: 'recaptcha'; siteKey: string };

/** POST /api/auth/register */
export interface RegisterRequest {
  /** A UUID the client chose: the key backup and fingerprints are bound to it before the server sees it. */
  userId: string;
  username: string;
  /** deriveAccountKeys(password, username).authKey: base64 of 32 bytes. */
  authKey: string;
  publicKeys: PublicKeys;
  keyBackup: KeyBackup;
  /** The ALTCHA payload, or the reCAPTCHA response token. */
  captcha: string;
}

export interface RegisterResponse {
  id: string;
  username: string;
}

/** POST /api/auth/login */
export interface LoginRequest {
  username: string;
  authKey: string;
}

/** The signed-in user, with what the browser needs to open its keys. */
export interface LoginResponse extends MeResponse {
  keyBackup: KeyBackup;
}

/** GET /api/auth/me */
export interface MeResponse {
  id: string;
  username: string;
  publicKeys: PublicKeys;
  /** A site admin (README "Administration"): the web app shows the admin console. */
  admin: boolean;
}

/** GET /api/auth/session: like /me, but 200 with null when nobody is signed in (the web app's start-up check). */
export interface SessionResponse {
  user: MeResponse | null;
}

/** POST /api/auth/password: proves the current credential, swaps in the new one and the re-sealed backup. */
export interface ChangePasswordRequest {
  currentAuthKey: string;
  newAuthKey: string;
  newKeyBackup: KeyBackup;
  /**
   * The contact book re-sealed under the new password's wrapKey, stored in the same transaction.
   * Without it a stored book is deleted: sealed under the old wrapKey, it could never be opened again.
   */
  newContactBook?: SealedContactBook;
}

/**
 * POST /api/auth/key-backup: the signed-in user's key backup, returned only for the current authKey
 * (failures count towards the login lockout). A password change needs it: browsers hold the private
 * keys non-extractable, so the backup is re-sealed (rewrapKeyBackup) rather than made afresh.
 */
export interface KeyBackupRequest {
  authKey: string;
}

/** GET /api/users/:id/keys */
export interface UserKeysResponse {
  id: string;
  username: string;
  publicKeys: PublicKeys;
}

/** Every 4xx/5xx body (Nest's shape). */
export interface ErrorResponse {
  statusCode: number;
  message: string | string[];
  error?: string;
  /** 429 from the login lockout: seconds until a new attempt is accepted (also in Retry-After). */
  retryAfterSeconds?: number;
  /**
   * 401 from a failed sign-in (or key-backup / password check): failed attempts still allowed before
   * the next failure locks this client out (at least 1; the failure that locks answers 429 instead).
   */
  attemptsLeft?: number;
}
