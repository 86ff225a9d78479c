import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import {
  AUTH_PATHS,
  type CaptchaConfig,
  CLIENT_CONFIG_PATH,
  type ClientConfig,
  type ChangePasswordRequest,
  type CreateInviteRequest,
  type CreateRoomRequest,
  type ErrorResponse,
  FILE_PATHS,
  type FileLink,
  type InviteSummary,
  type JoinResult,
  type JoinRoomRequest,
  type KeyBackup,
  type KeyBackupRequest,
  type LoginRequest,
  type LoginResponse,
  type MeResponse,
  type PendingRoom,
  type RegisterRequest,
  type RegisterResponse,
  ROOM_PATHS,
  type RoomDetail,
  type RoomFileUsage,
  type RoomSummary,
  type SealedContactBook,
  type SessionResponse,
  type SetRoomPasswordRequest,
  type UpdateRoomRequest,
  type UserKeysResponse,
} from '@conclave/contracts';
import { firstValueFrom, type Observable } from 'rxjs';

/** A failed API call, with the server's own words for the user. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterSeconds?: number,
    /** A failed credential check: failures left before a lockout (ErrorResponse.attemptsLeft). */
    readonly attemptsLeft?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Typed calls to the REST API (paths and bodies from libs/contracts). */
@Injectable({ providedIn: 'root' })
export class ApiClient {
  private readonly http = inject(HttpClient);

  captcha(): Promise<CaptchaConfig> {
    return this.call(this.http.get<CaptchaConfig>(AUTH_PATHS.captcha));
  }

  register(body: RegisterRequest): Promise<RegisterResponse> {
    return this.call(this.http.post<RegisterResponse>(AUTH_PATHS.register, body));
  }

  login(body: LoginRequest): Promise<LoginResponse> {
    return this.call(this.http.post<LoginResponse>(AUTH_PATHS.login, body));
  }

  /** My key backup, handed out for my current authKey only (a wrong one counts towards the lockout). */
  keyBackup(body: KeyBackupRequest): Promise<KeyBackup> {
    return this.call(this.http.post<KeyBackup>(AUTH_PATHS.keyBackup, body));
  }

  changePassword(body: ChangePasswordRequest): Promise<void> {
    return this.call(this.http.post<void>(AUTH_PATHS.password, body));
  }

  /** My sealed contact book, or undefined when none is stored yet (204). */
  async contactBook(): Promise<SealedContactBook | undefined> {
    return (await this.call(this.http.get<SealedContactBook | null>(AUTH_PATHS.contacts))) ?? undefined;
  }

  saveContactBook(book: SealedContactBook): Promise<void> {
    return this.call(this.http.put<void>(AUTH_PATHS.contacts, book));
  }

  /** The deployment's settings a client follows (the message limit). */
  clientConfig(): Promise<ClientConfig> {
    return this.call(this.http.get<ClientConfig>(CLIENT_CONFIG_PATH));
  }

  /** The signed-in user, or null when there is no live session. */
  async currentUser(): Promise<MeResponse | null> {
    return (await this.call(this.http.get<SessionResponse>(AUTH_PATHS.session))).user;
  }

  logout(): Promise<void> {
    return this.call(this.http.post<void>(AUTH_PATHS.logout, null));
  }

  /** A user's public keys from the key directory. */
  userKeys(userId: string): Promise<UserKeysResponse> {
    return this.call(this.http.get<UserKeysResponse>(AUTH_PATHS.userKeys(userId)));
  }

  myRooms(): Promise<RoomSummary[]> {
    return this.call(this.http.get<RoomSummary[]>(ROOM_PATHS.rooms));
  }

  room(code: string): Promise<RoomDetail> {
    return this.call(this.http.get<RoomDetail>(ROOM_PATHS.room(code)));
  }

  createRoom(body: CreateRoomRequest): Promise<RoomSummary> {
    return this.call(this.http.post<RoomSummary>(ROOM_PATHS.rooms, body));
  }

  /** Already a member, or now waiting for a member's browser to admit (docs/protocol.md §7). */
  joinRoom(code: string, body: JoinRoomRequest): Promise<JoinResult> {
    return this.call(this.http.post<JoinResult>(ROOM_PATHS.join(code), body));
  }

  leaveRoom(code: string): Promise<void> {
    return this.call(this.http.post<void>(ROOM_PATHS.leave(code), null));
  }

  /** The rooms I asked to join and am not admitted to yet. */
  pendingRooms(): Promise<PendingRoom[]> {
    return this.call(this.http.get<PendingRoom[]>(ROOM_PATHS.pending));
  }

  cancelJoin(code: string): Promise<void> {
    return this.call(this.http.post<void>(ROOM_PATHS.cancelJoin(code), null));
  }

  /** The owner removes a member (the server then asks the others for a new key epoch). */
  removeMember(code: string, userId: string): Promise<void> {
    return this.call(this.http.post<void>(ROOM_PATHS.removeMember(code, userId), null));
  }

  setRoomPassword(code: string, body: SetRoomPasswordRequest): Promise<void> {
    return this.call(this.http.put<void>(ROOM_PATHS.password(code), body));
  }

  /** The owner renames the room or changes its member limit. */
  updateRoom(code: string, body: UpdateRoomRequest): Promise<RoomSummary> {
    return this.call(this.http.patch<RoomSummary>(ROOM_PATHS.room(code), body));
  }

  /** The owner removes the room password: joining by code needs a member's approval again. */
  removeRoomPassword(code: string): Promise<void> {
    return this.call(this.http.delete<void>(ROOM_PATHS.password(code)));
  }

  createInvite(code: string, body: CreateInviteRequest): Promise<InviteSummary> {
    return this.call(this.http.post<InviteSummary>(ROOM_PATHS.invites(code), body));
  }

  /** A download link for a file a message in this room carries (docs/protocol.md §10.2); ask again after expiresAt. */
  fileLink(code: string, fileId: string): Promise<FileLink> {
    return this.call(this.http.post<FileLink>(FILE_PATHS.link(code, fileId), null));
  }

  /** What the files the room's messages carry take. */
  roomFileUsage(code: string): Promise<RoomFileUsage> {
    return this.call(this.http.get<RoomFileUsage>(FILE_PATHS.roomUsage(code)));
  }

  private async call<T>(request: Observable<T>): Promise<T> {
    try {
      return await firstValueFrom(request);
    } catch (err) {
      throw toApiError(err);
    }
  }
}

/** The server's error body ({statusCode, error, message}) as an ApiError; 0 when the server could not be reached. */
export function toApiError(err: unknown): ApiError {
  if (!(err instanceof HttpErrorResponse)) return new ApiError(0, String(err));
  if (err.status === 0) return new ApiError(0, 'Cannot reach the server: check your connection and try again');
  const body = err.error as Partial<ErrorResponse> | null;
  const message = [body?.message].flat().filter(Boolean).join('; ') || `The server answered ${err.status}`;
  // Rate limits set by a guard (the admin API's) say when to retry in the Retry-After header only.
  const retryAfter = body?.retryAfterSeconds ?? (Number(err.headers?.get('Retry-After')) || undefined);
  return new ApiError(err.status, message, retryAfter, body?.attemptsLeft);
}
