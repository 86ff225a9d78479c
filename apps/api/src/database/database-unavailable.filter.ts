import { type ArgumentsHost, Catch, type ExceptionFilter, Logger, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailable } from './database-unavailable.js';

/**
 * Global (APP_FILTER): a request that failed because PostgreSQL is down, restarting or hung gets a
 * deliberate 503 with Retry-After, not a 500 and a stack trace. Other errors pass on to the next
 * filter. Nest also routes what an Express middleware passes to next(err) here, so a failure of the
 * session store (express-session) is answered the same way.
 */
@Catch(DatabaseUnavailable)
export class DatabaseUnavailableFilter implements ExceptionFilter {
  private readonly log = new Logger('Database');

  catch(error: Error, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    this.log.warn(`request refused while the database is unavailable (${error.message})`);
    // express-session saves the session once the answer is written, and reports a failure then.
    if (res.headersSent) return void res.end();
    const refusal = new ServiceUnavailableException('The database is unavailable: try again in a few seconds');
    res.status(refusal.getStatus()).setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS)).json(refusal.getResponse());
  }
}
