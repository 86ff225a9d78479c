import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config.js';

/**
 * One pino logger for the whole process (start-up, Nest, requests). JSON lines in production;
 * single-line, human-readable output in development (LOG_FORMAT overrides either).
 */
export function createRootLogger(config: AppConfig): Logger {
  const options = {
    level: config.log.level,
    base: { pid: process.pid },
    redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'], censor: '[redacted]' },
  };
  if (config.log.format === 'json') return pino(options);
  return pino(
    options,
    pretty({ sync: true, singleLine: true, colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }),
  );
}
