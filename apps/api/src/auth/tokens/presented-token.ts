import { API_TOKEN_PATTERN } from '@conclave/contracts';

/** The credential of an `Authorization: Bearer <credential>` header; undefined for any other header. */
export function bearerOf(authorization: string): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1];
}

/** The id (as the UUID it is stored under) and secret of a `cnk_<id>_<secret>` API token; undefined for anything else. */
export function parseApiToken(token: string): { id: string; secret: string } | undefined {
  const parts = API_TOKEN_PATTERN.exec(token);
  return parts ? { id: parts[1]!.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'), secret: parts[2]! } : undefined;
}
