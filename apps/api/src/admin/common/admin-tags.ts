/**
 * The Swagger tags of the admin API, with their descriptions (the document's top-level tags list:
 * DocumentBuilder.addTag in docs/swagger.ts).
 */
export const ADMIN_TAGS = {
  rooms: [
    'admin: rooms',
    'Site administration of rooms, metadata only: list and search, details and members, remove a member, block joins, hand over ownership, delete a room (a job to poll)',
  ],
  users: ['admin: users', 'Site administration of accounts: list and search, details, disable and enable, end sessions, grant and revoke site admin'],
  tokens: ['admin: tokens', "API tokens (cnk_…) for integrators: made, listed and revoked by an admin's session only; shown once, stored as a hash"],
  audit: ['admin: audit', 'The security audit log, newest first, filtered by actor, action, target and time'],
} as const satisfies Record<string, readonly [name: string, description: string]>;
