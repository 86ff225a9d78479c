import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

/**
 * Request logging: one line per request. Not-found answers are debug (bots scan for wp-login.php all
 * day), other 4xx warn, 5xx error, except the deliberate 503 of a database outage or a failed
 * readiness check: warn (its cause is logged beside it).
 */
export function requestLogLevel(res: ServerResponse, err?: Error): 'debug' | 'info' | 'warn' | 'error' {
  if (err || (res.statusCode >= 500 && res.statusCode !== 503)) return 'error';
  if (res.statusCode === 404) return 'debug';
  if (res.statusCode >= 400) return 'warn';
  return 'info';
}

@Module({})
export class LoggingModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            genReqId: (req: IncomingMessage) => {
              const given = req.headers['x-request-id'];
              return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
            },
            customLogLevel: (_req, res, err) => requestLogLevel(res, err),
            // Only what an operator needs; headers (cookies!) and bodies stay out of the logs.
            serializers: {
              req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
                id: req.id,
                method: req.method,
                url: req.url,
                remoteAddress: req.remoteAddress,
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
          },
        }),
      ],
    };
  }
}
