import { HttpClient, HttpParams } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import {
  ADMIN_API_PREFIX,
  ADMIN_PATHS,
  type AdminJob,
  type AdminRoomDetail,
  type AdminRoomMember,
  type AdminRoomSummary,
  type AdminUserDetail,
  type AdminUserSummary,
  type ApiTokenSummary,
  type AuditRecord,
  type CreateApiTokenRequest,
  type CreatedApiToken,
  type Page,
  type SetAdminRequest,
  type SetJoinsBlockedRequest,
  type TransferOwnershipRequest,
} from '@conclave/contracts';
import { firstValueFrom, type Observable } from 'rxjs';
import { toApiError } from '../api-client.service';

type AdminPath = (typeof ADMIN_PATHS)[keyof typeof ADMIN_PATHS];

/** One page of a list: `cursor` is the previous page's nextCursor; `q` a search. */
export interface PageQuery {
  q?: string;
  cursor?: string | null;
  limit?: number;
}

export interface AuditFilters {
  actor?: string;
  action?: string;
  target?: string;
  /** ISO times. */
  from?: string;
  to?: string;
}

/**
 * `/api/admin/v1/<path>` with its :params filled (each one URL-encoded); throws when a param is
 * missing or left over, so a renamed contract path fails loudly instead of calling a wrong URL.
 */
export function adminUrl(path: AdminPath, params: Record<string, string> = {}): string {
  const used = new Set<string>();
  const filled = path.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new Error(`${path}: no value for :${name}`);
    used.add(name);
    return encodeURIComponent(value);
  });
  const extra = Object.keys(params).filter((name) => !used.has(name));
  if (extra.length) throw new Error(`${path} has no :${extra.join(', :')}`);
  return `/${ADMIN_API_PREFIX}/${filled}`;
}

/** Query parameters without the empty ones (an empty search is no search). */
function queryOf(values: Record<string, string | number | null | undefined>): HttpParams {
  let params = new HttpParams();
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue;
    const text = String(value).trim();
    if (text !== '') params = params.set(name, text);
  }
  return params;
}

/**
 * Typed calls to the admin REST API with the admin's session (README "Administration"); errors become
 * ApiError with the server's message. The server decides who may call what.
 */
@Injectable({ providedIn: 'root' })
export class AdminApi {
  private readonly http = inject(HttpClient);

  rooms(query: PageQuery = {}): Promise<Page<AdminRoomSummary>> {
    return this.call(this.http.get<Page<AdminRoomSummary>>(adminUrl(ADMIN_PATHS.rooms), { params: queryOf({ ...query }) }));
  }

  room(code: string): Promise<AdminRoomDetail> {
    return this.call(this.http.get<AdminRoomDetail>(adminUrl(ADMIN_PATHS.room, { code })));
  }

  roomMembers(code: string): Promise<AdminRoomMember[]> {
    return this.call(this.http.get<AdminRoomMember[]>(adminUrl(ADMIN_PATHS.roomMembers, { code })));
  }

  removeMember(code: string, userId: string): Promise<void> {
    return this.call(this.http.delete<void>(adminUrl(ADMIN_PATHS.roomMember, { code, userId })));
  }

  setJoinsBlocked(code: string, blocked: boolean): Promise<AdminRoomDetail> {
    const body: SetJoinsBlockedRequest = { blocked };
    return this.call(this.http.put<AdminRoomDetail>(adminUrl(ADMIN_PATHS.roomJoins, { code }), body));
  }

  transferOwnership(code: string, userId: string): Promise<AdminRoomDetail> {
    const body: TransferOwnershipRequest = { userId };
    return this.call(this.http.put<AdminRoomDetail>(adminUrl(ADMIN_PATHS.roomOwner, { code }), body));
  }

  /** Starts the deletion job (202): follow it with job(). */
  deleteRoom(code: string): Promise<AdminJob> {
    return this.call(this.http.delete<AdminJob>(adminUrl(ADMIN_PATHS.room, { code })));
  }

  job(jobId: string): Promise<AdminJob> {
    return this.call(this.http.get<AdminJob>(adminUrl(ADMIN_PATHS.job, { jobId })));
  }

  users(query: PageQuery = {}): Promise<Page<AdminUserSummary>> {
    return this.call(this.http.get<Page<AdminUserSummary>>(adminUrl(ADMIN_PATHS.users), { params: queryOf({ ...query }) }));
  }

  user(userId: string): Promise<AdminUserDetail> {
    return this.call(this.http.get<AdminUserDetail>(adminUrl(ADMIN_PATHS.user, { userId })));
  }

  disableUser(userId: string): Promise<AdminUserDetail> {
    return this.call(this.http.post<AdminUserDetail>(adminUrl(ADMIN_PATHS.userDisable, { userId }), null));
  }

  enableUser(userId: string): Promise<AdminUserDetail> {
    return this.call(this.http.post<AdminUserDetail>(adminUrl(ADMIN_PATHS.userEnable, { userId }), null));
  }

  endSessions(userId: string): Promise<void> {
    return this.call(this.http.delete<void>(adminUrl(ADMIN_PATHS.userSessions, { userId })));
  }

  setAdmin(userId: string, admin: boolean): Promise<AdminUserDetail> {
    const body: SetAdminRequest = { admin };
    return this.call(this.http.put<AdminUserDetail>(adminUrl(ADMIN_PATHS.userAdmin, { userId }), body));
  }

  tokens(): Promise<ApiTokenSummary[]> {
    return this.call(this.http.get<ApiTokenSummary[]>(adminUrl(ADMIN_PATHS.tokens)));
  }

  /** The answer carries the secret token: the only time it is ever sent. */
  createToken(body: CreateApiTokenRequest): Promise<CreatedApiToken> {
    return this.call(this.http.post<CreatedApiToken>(adminUrl(ADMIN_PATHS.tokens), body));
  }

  revokeToken(tokenId: string): Promise<ApiTokenSummary> {
    return this.call(this.http.delete<ApiTokenSummary>(adminUrl(ADMIN_PATHS.token, { tokenId })));
  }

  audit(filters: AuditFilters & PageQuery = {}): Promise<Page<AuditRecord>> {
    return this.call(this.http.get<Page<AuditRecord>>(adminUrl(ADMIN_PATHS.audit), { params: queryOf({ ...filters }) }));
  }

  private async call<T>(request: Observable<T>): Promise<T> {
    try {
      return await firstValueFrom(request);
    } catch (err) {
      throw toApiError(err);
    }
  }
}
