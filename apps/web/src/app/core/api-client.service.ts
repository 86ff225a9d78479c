import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import {
  AUTH_PATHS,
  type CaptchaConfig,
  type ErrorResponse,
  type LoginRequest,
  type LoginResponse,
  type MeResponse,
  type RegisterRequest,
  type RegisterResponse,
  type SessionResponse,
} from '@conclave/contracts';
import { firstValueFrom, type Observable } from 'rxjs';

/** A failed API call, with the server's own words for the user. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterSeconds?: number,
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

  /** The signed-in user, or null when there is no live session. */
  async currentUser(): Promise<MeResponse | null> {
    return (await this.call(this.http.get<SessionResponse>(AUTH_PATHS.session))).user;
  }

  logout(): Promise<void> {
    return this.call(this.http.post<void>(AUTH_PATHS.logout, null));
  }

  private async call<T>(request: Observable<T>): Promise<T> {
    try {
      return await firstValueFrom(request);
    } catch (err) {
      throw toApiError(err);
    }
  }
}

function toApiError(err: unknown): ApiError {
  if (!(err instanceof HttpErrorResponse)) return new ApiError(0, String(err));
  if (err.status === 0) return new ApiError(0, 'Cannot reach the server: check your connection and try again');
  const body = err.error as Partial<ErrorResponse> | null;
  const message = [body?.message].flat().filter(Boolean).join('; ') || `The server answered ${err.status}`;
  return new ApiError(err.status, message, body?.retryAfterSeconds);
}
