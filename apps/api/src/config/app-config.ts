/** Look-ups of codes a user is not in, per minute: the join budget (no guessing codes or room passwords at speed). */
export const ROOM_PROBES_PER_USER_PER_MINUTE = 30;

/** The validated configuration, read once at start and injected (token APP_CONFIG). */
export interface AppConfig {
  readonly env: 'production' | 'development' | 'test';
  readonly port: number;
  /** 0 = no plain-HTTP redirect listener. */
  readonly httpPort: number;
  readonly host: string | undefined;
  /** Absolute path. */
  readonly dataDir: string;
  /** undefined = embedded PostgreSQL in dataDir. */
  readonly databaseUrl: string | undefined;
  /** How long a statement may run, and a connection take to open, before the request fails with 503. */
  readonly databaseTimeouts: { readonly statementMs: number; readonly connectMs: number };
  readonly tls: TlsSource;
  /** Behind a TLS-terminating proxy: listen in plain HTTP, trust X-Forwarded-*. */
  readonly trustProxy: boolean;
  /** e.g. https://chat.example.com; undefined = derived from each request's Host header. */
  readonly publicOrigin: string | undefined;
  readonly log: { readonly level: string; readonly format: 'json' | 'pretty' };
  readonly auth: AuthConfig;
  readonly chat: ChatConfig;
  readonly quotas: QuotasConfig;
  readonly files: FilesConfig;
  readonly admin: AdminConfig;
  readonly metrics: MetricsConfig;
  readonly cluster: ClusterConfig;
}

/**
 * Several instances (README "Deployment"): how Socket.IO events reach sockets on other instances.
 * 'redis' when REDIS_URL is set; 'postgres' (LISTEN/NOTIFY) when DATABASE_URL is, since another
 * instance may share that database; 'local' on the embedded database, which only this instance uses.
 */
export interface ClusterConfig {
  readonly fanOut: 'local' | 'postgres' | 'redis';
  /** REDIS_URL. */
  readonly redisUrl: string | undefined;
}

/** Administration (README "Administration"). */
export interface AdminConfig {
  /** ADMIN_USERNAMES, lowercased: made site admins at start, or when they register. */
  readonly usernames: readonly string[];
  /** ADMIN_RATE_LIMIT_PER_MINUTE: admin API calls per token (or per admin's session) per minute. */
  readonly ratePerMinute: number;
}

/** Prometheus metrics (README "Metrics"). */
export interface MetricsConfig {
  /** METRICS_ADDRESS: a separate plain-HTTP listener serving /metrics without a token; undefined = none (a metrics:read token on the main port). */
  readonly listen: { readonly host: string; readonly port: number } | undefined;
}

/** Encrypted file sharing (docs/protocol.md §10; README "Files"). */
export interface FilesConfig {
  /** FILE_STORAGE: where ciphertext is kept. */
  readonly storage: FileStorageConfig;
  /** FILE_LINK_TTL_SECONDS: how long a download link works (default 24 h). */
  readonly linkTtlSeconds: number;
  /** FILE_QUOTA_MB_PER_USER in bytes: ciphertext a user's uploads may take, over all rooms. */
  readonly quotaBytes: number;
  /** FILE_SWEEP_INTERVAL_SECONDS in ms: how often pending uploads and deleted rooms' files are looked for. */
  readonly sweepIntervalMs: number;
}

export type FileStorageConfig =
  /** In `directory` (FILE_STORAGE_DIR, default dataDir/files); links are HMAC-signed with FILE_LINK_SECRET (undefined = DATA_DIR/file-link.secret). */
  | { readonly driver: 'local'; readonly directory: string; readonly linkSecret: string | undefined }
  | {
      readonly driver: 'firebase';
      readonly bucket: string;
      /** The service account key (JSON) read from FIREBASE_SERVICE_ACCOUNT_FILE at start. */
      readonly serviceAccount: { readonly projectId: string; readonly clientEmail: string; readonly privateKey: string };
      /** FIREBASE_STORAGE_ENDPOINT: another Cloud Storage JSON API endpoint (tests, a proxy); undefined = Google's. */
      readonly apiEndpoint: string | undefined;
    };

/** What one account, or one client address, may hold or try (README "Configuration"). */
export interface QuotasConfig {
  /** Rooms a user may own, and belong to (owned ones included). */
  readonly roomsOwned: number;
  readonly roomsJoined: number;
  /** Look-ups of room codes the caller is not a member of, per minute by one user (fixed: ROOM_PROBES_PER_USER_PER_MINUTE). */
  readonly roomProbesPerUserPerMinute: number;
  /** Look-ups of room codes the caller is not a member of, per minute from one client address (all its users together). */
  readonly roomProbesPerAddressPerMinute: number;
  /** Open sockets per user, over every instance. */
  readonly socketsPerUser: number;
  /** How long a socket may take from its transport opening to a finished (authenticated) Socket.IO handshake. */
  readonly socketHandshakeMs: number;
}

export interface ChatConfig {
  /** Messages per user: `limit` within `windowMs`; going over mutes the user for `blockMs`. */
  readonly rate: { readonly profile: 'steady' | 'burst'; readonly limit: number; readonly windowMs: number; readonly blockMs: number };
  /** Seconds without activity before the warning and before the disconnect; 0 = off. */
  readonly idle: { readonly warnSeconds: number; readonly kickSeconds: number };
  /** MESSAGE_MAX_CHARS, and the ciphertext bound the server enforces for it (docs/protocol.md §9). */
  readonly message: { readonly maxChars: number; readonly ciphertextBytes: number };
}

export interface AuthConfig {
  /** A session unused this long ends. */
  readonly sessionIdleSeconds: number;
  /** A session ends this long after sign-in, used or not. */
  readonly sessionMaxSeconds: number;
  /** SESSION_SECRET; undefined = the secret kept in DATA_DIR/session.secret. */
  readonly sessionSecret: string | undefined;
  readonly bcryptCost: number;
  /**
   * maxFailures within windowSeconds lock a username (for clients without a device token) or a device
   * token for blockSeconds; addressMaxFailures, an address (untrusted attempts, across usernames).
   */
  readonly lockout: { readonly maxFailures: number; readonly addressMaxFailures: number; readonly windowSeconds: number; readonly blockSeconds: number };
  /** Device tokens (OWASP device cookies): secret = LOGIN_DEVICE_SECRET, undefined = DATA_DIR/device-token.secret. */
  readonly deviceTokens: { readonly secret: string | undefined; readonly lifetimeSeconds: number };
  readonly registerPerHour: number;
  readonly captcha: CaptchaConfig;
}

export type CaptchaConfig =
  | { readonly provider: 'altcha'; readonly cost: number; readonly maxCounter: number }
  | { readonly provider: 'recaptcha'; readonly siteKey: string; readonly secretKey: string; readonly verifyUrl: string };

export type TlsSource =
  | { readonly mode: 'files'; readonly cert: Buffer; readonly key: Buffer; readonly certFile: string }
  | { readonly mode: 'self-signed' }
  | { readonly mode: 'proxy' };

export const APP_CONFIG = Symbol('APP_CONFIG');
