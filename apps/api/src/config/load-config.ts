import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { messageBounds } from '@conclave/contracts';
import { type AppConfig, type ClusterConfig, type FileStorageConfig, ROOM_PROBES_PER_USER_PER_MINUTE, type TlsSource } from './app-config.js';
import { ConfigError } from './config-error.js';
import { Environment } from './environment.js';

/** Variables whose value a start error must not print (it would end up in logs). */
const SECRET_VARIABLES = new Set(['SESSION_SECRET', 'LOGIN_DEVICE_SECRET', 'FILE_LINK_SECRET']);

/** Reads and validates the environment once; throws a ConfigError naming the first bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv): AppConfig {
  const known = Object.keys(new Environment());
  const raw = Object.fromEntries(Object.entries(source).filter(([name, value]) => value !== undefined && known.includes(name)));
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const [error] = validateSync(env, { stopAtFirstError: true });
  if (error) {
    const reason = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
    const got = SECRET_VARIABLES.has(error.property) ? `${source[error.property]?.length ?? 0} characters` : JSON.stringify(source[error.property]);
    throw new ConfigError(error.property, `${reason.replace(new RegExp(`^${error.property} `), '')} (got ${got})`);
  }
  if (env.HTTP_PORT === env.PORT) throw new ConfigError('HTTP_PORT', `must differ from PORT (${env.PORT})`);
  if (env.IDLE_WARN_SECONDS && env.IDLE_KICK_SECONDS && env.IDLE_WARN_SECONDS >= env.IDLE_KICK_SECONDS) {
    throw new ConfigError('IDLE_WARN_SECONDS', `must be less than IDLE_KICK_SECONDS (${env.IDLE_KICK_SECONDS})`);
  }
  if (env.ROOMS_OWNED_MAX > env.ROOMS_JOINED_MAX) {
    throw new ConfigError('ROOMS_OWNED_MAX', `must not exceed ROOMS_JOINED_MAX (${env.ROOMS_JOINED_MAX}): rooms one owns are rooms one belongs to`);
  }

  return {
    env: env.NODE_ENV,
    port: env.PORT,
    httpPort: env.TRUST_PROXY ? 0 : env.HTTP_PORT,
    host: env.HOST,
    dataDir: resolve(env.DATA_DIR),
    databaseUrl: env.DATABASE_URL === undefined ? undefined : checkDatabaseUrl(env.DATABASE_URL),
    databaseTimeouts: { statementMs: env.DATABASE_STATEMENT_TIMEOUT_MS, connectMs: env.DATABASE_CONNECT_TIMEOUT_MS },
    tls: tlsSource(env),
    trustProxy: env.TRUST_PROXY,
    publicOrigin: env.PUBLIC_ORIGIN === undefined ? undefined : checkOrigin(env.PUBLIC_ORIGIN),
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty') },
    auth: {
      sessionIdleSeconds: env.SESSION_IDLE_SECONDS,
      sessionMaxSeconds: env.SESSION_MAX_SECONDS,
      sessionSecret: env.SESSION_SECRET,
      bcryptCost: env.BCRYPT_COST,
      lockout: { maxFailures: env.LOGIN_MAX_FAILURES, addressMaxFailures: env.LOGIN_ADDRESS_MAX_FAILURES, windowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS, blockSeconds: env.LOGIN_LOCKOUT_SECONDS },
      deviceTokens: { secret: env.LOGIN_DEVICE_SECRET, lifetimeSeconds: env.LOGIN_DEVICE_TOKEN_DAYS * 86_400 },
      registerPerHour: env.REGISTER_LIMIT_PER_HOUR,
      captcha:
        env.RECAPTCHA_SITE_KEY && env.RECAPTCHA_SECRET_KEY
          ? { provider: 'recaptcha', siteKey: env.RECAPTCHA_SITE_KEY, secretKey: env.RECAPTCHA_SECRET_KEY, verifyUrl: env.RECAPTCHA_VERIFY_URL }
          : { provider: 'altcha', cost: env.ALTCHA_COST, maxCounter: env.ALTCHA_MAX_COUNTER },
    },
    chat: {
      rate:
        env.CHAT_RATE_LIMIT === 'burst'
          ? { profile: 'burst', limit: 5, windowMs: 10_000, blockMs: 10_000 }
          : { profile: 'steady', limit: 1, windowMs: 1_000, blockMs: 1_000 },
      idle: { warnSeconds: env.IDLE_WARN_SECONDS, kickSeconds: env.IDLE_KICK_SECONDS },
      message: { maxChars: env.MESSAGE_MAX_CHARS, ciphertextBytes: messageBounds(env.MESSAGE_MAX_CHARS).ciphertextBytes },
    },
    quotas: {
      roomsOwned: env.ROOMS_OWNED_MAX,
      roomsJoined: env.ROOMS_JOINED_MAX,
      roomProbesPerUserPerMinute: ROOM_PROBES_PER_USER_PER_MINUTE,
      roomProbesPerAddressPerMinute: env.ROOM_PROBES_PER_ADDRESS_PER_MINUTE,
      socketsPerUser: env.SOCKETS_PER_USER_MAX,
      socketHandshakeMs: env.SOCKET_HANDSHAKE_TIMEOUT_SECONDS * 1000,
    },
    files: {
      storage: fileStorage(env),
      linkTtlSeconds: env.FILE_LINK_TTL_SECONDS,
      quotaBytes: env.FILE_QUOTA_MB_PER_USER * 1024 * 1024,
      sweepIntervalMs: env.FILE_SWEEP_INTERVAL_SECONDS * 1000,
    },
    admin: {
      usernames: (env.ADMIN_USERNAMES ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean),
      ratePerMinute: env.ADMIN_RATE_LIMIT_PER_MINUTE,
    },
    metrics: { listen: env.METRICS_ADDRESS === undefined ? undefined : listenAddress(env.METRICS_ADDRESS) },
    cluster: clusterOf(env),
  };
}

function clusterOf(env: Environment): ClusterConfig {
  const redisUrl = env.REDIS_URL === undefined ? undefined : checkRedisUrl(env.REDIS_URL);
  return { fanOut: redisUrl ? 'redis' : env.DATABASE_URL ? 'postgres' : 'local', redisUrl };
}

function checkRedisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('REDIS_URL', 'is not a URL (expected redis://[:password@]host:6379[/db] or rediss://…)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError('REDIS_URL', `must start with redis:// or rediss:// (got ${url.protocol}//)`);
  return value;
}

/** METRICS_ADDRESS as host and port ('[::1]:9464' → '::1', 9464). */
function listenAddress(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  const port = Number(address.slice(separator + 1));
  if (!(port >= 1 && port <= 65535)) throw new ConfigError('METRICS_ADDRESS', `must name a port from 1 to 65535 (got ${JSON.stringify(address)})`);
  return { host: address.slice(0, separator).replace(/^\[(.*)\]$/, '$1'), port };
}

function fileStorage(env: Environment): FileStorageConfig {
  if (env.FILE_STORAGE === 'local') return { driver: 'local', directory: resolve(env.FILE_STORAGE_DIR ?? join(env.DATA_DIR, 'files')), linkSecret: env.FILE_LINK_SECRET };
  if (!env.FIREBASE_STORAGE_BUCKET) throw new ConfigError('FIREBASE_STORAGE_BUCKET', 'is required with FILE_STORAGE=firebase (e.g. my-project.appspot.com)');
  if (!env.FIREBASE_SERVICE_ACCOUNT_FILE) {
    throw new ConfigError('FIREBASE_SERVICE_ACCOUNT_FILE', 'is required with FILE_STORAGE=firebase: the JSON key of a service account that may read and write the bucket');
  }
  return {
    driver: 'firebase',
    bucket: env.FIREBASE_STORAGE_BUCKET,
    serviceAccount: readServiceAccount(env.FIREBASE_SERVICE_ACCOUNT_FILE),
    apiEndpoint: env.FIREBASE_STORAGE_ENDPOINT?.replace(/\/$/, ''),
  };
}

/** The fields of a Google service account key the SDK signs with; a bad file stops the start, naming what is wrong. */
function readServiceAccount(file: string): { projectId: string; clientEmail: string; privateKey: string } {
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'not JSON';
    throw new ConfigError('FIREBASE_SERVICE_ACCOUNT_FILE', `cannot read ${file} as a service account key (${reason})`);
  }
  const { project_id: projectId, client_email: clientEmail, private_key: privateKey } = key ?? {};
  if (typeof projectId !== 'string' || typeof clientEmail !== 'string' || typeof privateKey !== 'string') {
    throw new ConfigError('FIREBASE_SERVICE_ACCOUNT_FILE', `${file} lacks project_id, client_email or private_key: download a JSON key of the service account`);
  }
  checkPrivateKeyPem('FIREBASE_SERVICE_ACCOUNT_FILE', privateKey, file);
  return { projectId, clientEmail, privateKey };
}

function checkPrivateKeyPem(variable: string, pem: string, file: string): void {
  try {
    createPrivateKey(pem);
  } catch (err) {
    throw new ConfigError(variable, `${file}: private_key is not a PEM private key (${(err as Error).message})`);
  }
}

function tlsSource(env: Environment): TlsSource {
  if (env.TRUST_PROXY) {
    if (env.TLS_CERT_FILE) throw new ConfigError('TRUST_PROXY', 'cannot be combined with TLS_CERT_FILE: the proxy terminates TLS');
    return { mode: 'proxy' };
  }
  if (!env.TLS_CERT_FILE || !env.TLS_KEY_FILE) return { mode: 'self-signed' };
  const cert = readPem('TLS_CERT_FILE', env.TLS_CERT_FILE);
  const key = readPem('TLS_KEY_FILE', env.TLS_KEY_FILE);
  checkPrivateKey(key, env.TLS_KEY_FILE);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ConfigError('TLS_CERT_FILE', `does not form a valid certificate/key pair with TLS_KEY_FILE (${(err as Error).message})`);
  }
  return { mode: 'files', cert, key, certFile: resolve(env.TLS_CERT_FILE) };
}

/** The key must parse on its own, so that a bad key is reported as the key's fault, not the pair's. */
function checkPrivateKey(key: Buffer, file: string): void {
  try {
    createPrivateKey(key);
  } catch (err) {
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: 4,ENCRYPTED/m.test(key.toString('latin1'))) {
      throw new ConfigError('TLS_KEY_FILE', `${file} is encrypted: Conclave needs the key without a passphrase (openssl pkey -in ${file} -out plain.pem), readable by its user only`);
    }
    throw new ConfigError('TLS_KEY_FILE', `${file} is not a PEM private key (${(err as Error).message})`);
  }
}

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function checkDatabaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL (expected postgres://user:password@host:5432/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `must start with postgres:// (got ${url.protocol}//)`);
  }
  return value;
}

function checkOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('PUBLIC_ORIGIN', `is not a URL (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'https:' || url.origin !== value.replace(/\/$/, '')) {
    throw new ConfigError('PUBLIC_ORIGIN', `must be an https origin such as https://chat.example.com (got ${JSON.stringify(value)})`);
  }
  return url.origin;
}

/** postgres://user:secret@host/db -> postgres://user:***@host/db, for messages and logs. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable URL)';
  }
}
