import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { LIMITS } from '@conclave/contracts';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  return value;
};
/** An integer variable in [min, max]; every check reports the same message, naming the range. */
const IntegerVar = (min: number, max: number, message: string) =>
  applyDecorators(Transform(toInt), IsInt({ message }), Min(min, { message }), ...(Number.isFinite(max) ? [Max(max, { message })] : []));
const blankToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** An optional secret of at least 32 characters (loadConfig never prints its value, only its length). */
const SecretVar = () =>
  applyDecorators(
    Transform(blankToUndefined),
    IsOptional(),
    IsString(),
    MinLength(32, { message: 'must be at least 32 characters (e.g. the output of openssl rand -base64 32)' }),
  );

/** The environment variables Conclave reads, with their defaults. The README's table mirrors this. */
export class Environment {
  @IsIn(['production', 'development', 'test'])
  NODE_ENV: 'production' | 'development' | 'test' = 'production';

  @IntegerVar(1, 65535, 'must be a port number (1-65535)')
  PORT = 8443;

  @IntegerVar(0, 65535, 'must be a port number (1-65535), or 0 to turn the redirect off')
  HTTP_PORT = 8080;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  HOST?: string;

  @IsString()
  DATA_DIR = './data';

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  DATABASE_URL?: string;

  @IntegerVar(100, 3_600_000, 'must be a whole number of milliseconds from 100 to 3600000')
  DATABASE_STATEMENT_TIMEOUT_MS = 10_000;

  /** Several instances (README "Deployment"): Socket.IO fan-out and rate-limit counters in Redis. */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  REDIS_URL?: string;

  @IntegerVar(100, 600_000, 'must be a whole number of milliseconds from 100 to 600000')
  DATABASE_CONNECT_TIMEOUT_MS = 5_000;

  @Transform(blankToUndefined)
  @ValidateIf((env: Environment) => env.TLS_KEY_FILE !== undefined || env.TLS_CERT_FILE !== undefined)
  @IsString({ message: 'must be set together with TLS_KEY_FILE' })
  TLS_CERT_FILE?: string;

  @Transform(blankToUndefined)
  @ValidateIf((env: Environment) => env.TLS_KEY_FILE !== undefined || env.TLS_CERT_FILE !== undefined)
  @IsString({ message: 'must be set together with TLS_CERT_FILE' })
  TLS_KEY_FILE?: string;

  @Transform(toBool)
  @IsBoolean({ message: 'must be 1/true/yes/on or 0/false/no/off' })
  TRUST_PROXY = false;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  PUBLIC_ORIGIN?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  @Transform(blankToUndefined)
  @IsOptional()
  @IsIn(['json', 'pretty'])
  LOG_FORMAT?: 'json' | 'pretty';

  @IntegerVar(1, Infinity, 'must be a whole number of seconds (1 or more)')
  SESSION_IDLE_SECONDS = 12 * 3600;

  @IntegerVar(1, Infinity, 'must be a whole number of seconds (1 or more)')
  SESSION_MAX_SECONDS = 7 * 24 * 3600;

  /** Signs session cookies; unset = DATA_DIR/session.secret, made on first start. */
  @SecretVar()
  SESSION_SECRET?: string;

  @IntegerVar(1, Infinity, 'must be a whole number (1 or more)')
  LOGIN_MAX_FAILURES = 3;

  @IntegerVar(1, Infinity, 'must be a whole number of seconds (1 or more)')
  LOGIN_FAILURE_WINDOW_SECONDS = 900;

  @IntegerVar(1, Infinity, 'must be a whole number of seconds (1 or more)')
  LOGIN_LOCKOUT_SECONDS = 300;

  @IntegerVar(1, Infinity, 'must be a whole number (1 or more)')
  LOGIN_ADDRESS_MAX_FAILURES = 20;

  @IntegerVar(1, 3650, 'must be a whole number of days from 1 to 3650')
  LOGIN_DEVICE_TOKEN_DAYS = 90;

  /** Signs device tokens; unset = DATA_DIR/device-token.secret, made on first start. */
  @SecretVar()
  LOGIN_DEVICE_SECRET?: string;

  @IntegerVar(4, 15, 'must be a whole number from 4 to 15')
  BCRYPT_COST = 11;

  @IntegerVar(1, Infinity, 'must be a whole number (1 or more)')
  REGISTER_LIMIT_PER_HOUR = 10;

  @IntegerVar(1, Infinity, 'must be a whole number of PBKDF2 iterations (1 or more)')
  ALTCHA_COST = 1000;

  @IntegerVar(2, Infinity, 'must be a whole number (2 or more)')
  ALTCHA_MAX_COUNTER = 10000;

  @Transform(blankToUndefined)
  @ValidateIf((env: Environment) => env.RECAPTCHA_SITE_KEY !== undefined || env.RECAPTCHA_SECRET_KEY !== undefined)
  @IsString({ message: 'must be set together with RECAPTCHA_SECRET_KEY' })
  RECAPTCHA_SITE_KEY?: string;

  @Transform(blankToUndefined)
  @ValidateIf((env: Environment) => env.RECAPTCHA_SITE_KEY !== undefined || env.RECAPTCHA_SECRET_KEY !== undefined)
  @IsString({ message: 'must be set together with RECAPTCHA_SITE_KEY' })
  RECAPTCHA_SECRET_KEY?: string;

  @IntegerVar(0, Infinity, 'must be a whole number of seconds (0 turns it off)')
  IDLE_WARN_SECONDS = 0;

  @IntegerVar(0, Infinity, 'must be a whole number of seconds (0 turns it off)')
  IDLE_KICK_SECONDS = 0;

  /** Characters in a message (LIMITS.messageBodyChars by default); the server's ciphertext bound follows from it. */
  @IntegerVar(1, LIMITS.messageBodyCharsMax, `must be a whole number of characters from 1 to ${LIMITS.messageBodyCharsMax}`)
  MESSAGE_MAX_CHARS: number = LIMITS.messageBodyChars;

  @IsIn(['steady', 'burst'], { message: 'must be "steady" (1 message per second) or "burst" (5 per 10 seconds, then muted 10 seconds)' })
  CHAT_RATE_LIMIT: 'steady' | 'burst' = 'steady';

  @IsUrl({ require_tld: false, protocols: ['https', 'http'], require_protocol: true }, { message: 'must be an http(s) URL' })
  RECAPTCHA_VERIFY_URL = 'https://www.google.com/recaptcha/api/siteverify';

  @IntegerVar(1, Infinity, 'must be a whole number of rooms (1 or more)')
  ROOMS_OWNED_MAX = 100;

  @IntegerVar(1, Infinity, 'must be a whole number of rooms (1 or more)')
  ROOMS_JOINED_MAX = 500;

  @IntegerVar(1, Infinity, 'must be a whole number of look-ups (1 or more)')
  ROOM_PROBES_PER_ADDRESS_PER_MINUTE = 120;

  @IntegerVar(1, Infinity, 'must be a whole number of sockets (1 or more)')
  SOCKETS_PER_USER_MAX = 20;

  @IntegerVar(1, 300, 'must be a whole number of seconds from 1 to 300')
  SOCKET_HANDSHAKE_TIMEOUT_SECONDS = 10;

  // Files (docs/protocol.md §10, README "Files").
  @IsIn(['local', 'firebase'], { message: 'must be "local" (files under DATA_DIR) or "firebase" (Firebase / Cloud Storage; needs FIREBASE_STORAGE_BUCKET and FIREBASE_SERVICE_ACCOUNT_FILE)' })
  FILE_STORAGE: 'local' | 'firebase' = 'local';

  @IntegerVar(1, 604_800, 'must be a whole number of seconds from 1 to 604800 (7 days, the longest a V4 signed URL may live)')
  FILE_LINK_TTL_SECONDS = 86_400;

  @IntegerVar(1, Infinity, 'must be a whole number of megabytes (1 or more)')
  FILE_QUOTA_MB_PER_USER = 1024;

  @IntegerVar(1, 86_400, 'must be a whole number of seconds from 1 to 86400')
  FILE_SWEEP_INTERVAL_SECONDS = 300;

  /** The local driver's directory; several instances must share one (a network mount). */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  FILE_STORAGE_DIR?: string;

  /** Signs local download links; unset = DATA_DIR/file-link.secret, made on first start. */
  @SecretVar()
  FILE_LINK_SECRET?: string;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  FIREBASE_STORAGE_BUCKET?: string;

  /** A service account key (JSON) with access to the bucket. */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  FIREBASE_SERVICE_ACCOUNT_FILE?: string;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['https', 'http'], require_protocol: true }, { message: 'must be an http(s) URL' })
  FIREBASE_STORAGE_ENDPOINT?: string;

  /** Comma-separated usernames made site admins at start (and at registration, for a name not taken yet). Removing a name does not revoke. */
  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^\s*[a-z0-9_.-]{3,32}\s*(,\s*[a-z0-9_.-]{3,32}\s*)*$/i, { message: 'must be a comma-separated list of usernames' })
  ADMIN_USERNAMES?: string;

  @IntegerVar(1, 100_000, 'must be a whole number of calls per minute (1-100000)')
  ADMIN_RATE_LIMIT_PER_MINUTE = 600;

  /** host:port of a separate plain-HTTP listener for GET /metrics without a token (e.g. 127.0.0.1:9464); unset = none. */
  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'must be host:port (e.g. 127.0.0.1:9464)' })
  METRICS_ADDRESS?: string;
}
