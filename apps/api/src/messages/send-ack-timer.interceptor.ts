import { BadRequestException, type CallHandler, type ExecutionContext, HttpException, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import { ChatError } from '../realtime/socket-errors.js';
import { MetricsService, type SendOutcome } from '../metrics/metrics.service.js';
import { RetryLaterException } from '../security/retry-later.js';

/**
 * Times chat:send from the gateway receiving it to its acknowledgement (conclave_message_send_ack_seconds):
 * stored (a resend of a stored message too), refused (the store's refusals, a bad payload),
 * rate-limited, or failed (the database unavailable, a bug). Around the handler and its pipes.
 */
@Injectable()
export class SendAckTimer implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const acknowledged = this.metrics.sendReceived();
    return next.handle().pipe(tap({ next: () => acknowledged('stored'), error: (err: unknown) => acknowledged(outcomeOf(err)) }));
  }
}

function outcomeOf(err: unknown): SendOutcome {
  if ((err instanceof ChatError && err.code === 'rate-limited') || err instanceof RetryLaterException) return 'rate-limited';
  if (err instanceof ChatError || err instanceof BadRequestException) return 'refused';
  return err instanceof HttpException && err.getStatus() < 500 ? 'refused' : 'failed';
}
