import { API_PREFIX } from './health.js';

/**
 * The route patterns of the REST controllers (Nest syntax): each area's controller prefix and its
 * controller-relative routes, so the server's routes and the OpenAPI document come from one place.
 * Clients build URLs with AUTH_PATHS, ROOM_PATHS and FILE_PATHS (which fill these patterns in); the
 * admin API has its own (ADMIN_API_PREFIX, ADMIN_PATHS).
 */
export const API_PATHS = {
  auth: {
    prefix: `${API_PREFIX}/auth`,
    captcha: 'captcha',
    register: 'register',
    login: 'login',
    logout: 'logout',
    me: 'me',
    session: 'session',
    keyBackup: 'key-backup',
    password: 'password',
  },
  /** GET / PUT the signed-in user's sealed contact book (the controller's root). */
  contacts: { prefix: `${API_PREFIX}/auth/contacts` },
  /** The key directory. */
  users: { prefix: `${API_PREFIX}/users`, keys: ':id/keys' },
  rooms: {
    prefix: `${API_PREFIX}/rooms`,
    pending: 'pending',
    room: ':code',
    join: ':code/join',
    cancelJoin: ':code/join/cancel',
    password: ':code/password',
    leave: ':code/leave',
    removeMember: ':code/members/:userId/remove',
    /** GET: what the room's files take. */
    files: ':code/files',
    /** PUT: upload a file's ciphertext. */
    file: ':code/files/:fileId',
    fileLink: ':code/files/:fileId/link',
  },
  invites: { prefix: `${API_PREFIX}/rooms/:code/invites`, revoke: ':inviteId/revoke' },
  files: { prefix: `${API_PREFIX}/files`, usage: 'usage', download: ':fileId' },
  /** GET (public): the deployment's settings a client follows (ClientConfig). */
  config: { prefix: `${API_PREFIX}/config` },
  /** Served from the root: /ping outside the API prefix, /api/health inside. */
  health: { ping: 'ping', health: `${API_PREFIX}/health` },
} as const;
