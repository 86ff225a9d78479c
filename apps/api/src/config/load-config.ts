import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { AppConfig, TlsSource } from './app-config.js';
import { ConfigError } from './config-error.js';
import { Environment } from './environment.js';

/** Reads and validates the environment once; throws a ConfigError naming the first bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv): AppConfig {
  const known = Object.keys(new Environment());
  const raw = Object.fromEntries(Object.entries(source).filter(([name, value]) => value !== undefined && known.includes(name)));
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const [error] = validateSync(env, { stopAtFirstError: true });
  if (error) {
    const reason = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
    throw new ConfigError(error.property, `${reason.replace(new RegExp(`^${error.property} `), '')} (got ${JSON.stringify(source[error.property])})`);
  }
  if (env.HTTP_PORT === env.PORT) throw new ConfigError('HTTP_PORT', `must differ from PORT (${env.PORT})`);
  if (env.IDLE_WARN_SECONDS && env.IDLE_KICK_SECONDS && env.IDLE_WARN_SECONDS >= env.IDLE_KICK_SECONDS) {
    throw new ConfigError('IDLE_WARN_SECONDS', `must be less than IDLE_KICK_SECONDS (${env.IDLE_KICK_SECONDS})`);
  }
  if (env.LOGIN_DEVICE_SECRET !== undefined && env.LOGIN_DEVICE_SECRET.length < 32) {
    // Checked here rather than by a decorator, whose message would print the secret.
    throw new ConfigError('LOGIN_DEVICE_SECRET', `must be at least 32 characters, e.g. from openssl rand -base64 32 (got ${env.LOGIN_DEVICE_SECRET.length})`);
  }

  return {
    env: env.NODE_ENV,
    port: env.PORT,
    httpPort: env.TRUST_PROXY ? 0 : env.HTTP_PORT,
    host: env.HOST,
    dataDir: resolve(env.DATA_DIR),
    databaseUrl: env.DATABASE_URL === undefined ? undefined : checkDatabaseUrl(env.DATABASE_URL),
    tls: tlsSource(env),
    trustProxy: env.TRUST_PROXY,
    publicOrigin: env.PUBLIC_ORIGIN === undefined ? undefined : checkOrigin(env.PUBLIC_ORIGIN),
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty') },
    auth: {
      sessionIdleSeconds: env.SESSION_IDLE_SECONDS,
      sessionMaxSeconds: env.SESSION_MAX_SECONDS,
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
    },
  };
}

function tlsSource(env: Environment): TlsSource {
  if (env.TRUST_PROXY) {
    if (env.TLS_CERT_FILE) throw new ConfigError('TRUST_PROXY', 'cannot be combined with TLS_CERT_FILE: the proxy terminates TLS');
    return { mode: 'proxy' };
  }
  if (!env.TLS_CERT_FILE || !env.TLS_KEY_FILE) return { mode: 'self-signed' };
  const cert = readPem('TLS_CERT_FILE', env.TLS_CERT_FILE);
  const key = readPem('TLS_KEY_FILE', env.TLS_KEY_FILE);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ConfigError('TLS_CERT_FILE', `does not form a valid certificate/key pair with TLS_KEY_FILE (${(err as Error).message})`);
  }
  return { mode: 'files', cert, key, certFile: resolve(env.TLS_CERT_FILE) };
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
