import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DATABASE_POOL } from '../database/database.module.js';

/** Every metric's name starts with this (the process and Node.js ones too). */
export const METRIC_PREFIX = 'conclave_';

/** What a chat:send came to, as its acknowledgement told the client. */
export type SendOutcome = 'stored' | 'refused' | 'rate-limited' | 'failed';

/** Seconds; a send is normally acknowledged within a few milliseconds (one group commit). */
const SEND_ACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The process's Prometheus metrics (README "Metrics"), in a registry of its own rather than
 * prom-client's global one, so that each app instance (a test's, a restarted one's) starts clean.
 * Other modules report what happened through the methods below and never see prom-client; what is
 * a state rather than an event (sockets, the pool) is read at scrape time.
 */
@Injectable()
export class MetricsService {
  private readonly registry = new Registry();
  private socketCount: () => number = () => 0;

  private readonly messagesStored = new Counter({
    name: `${METRIC_PREFIX}messages_stored_total`,
    help: 'Messages committed to the database (a resend of a stored message is not counted again)',
    registers: [this.registry],
  });

  private readonly sendAck = new Histogram({
    name: `${METRIC_PREFIX}message_send_ack_seconds`,
    help: 'Seconds from the chat gateway receiving chat:send to its acknowledgement, by outcome (stored, refused, rate-limited, failed)',
    labelNames: ['outcome'] as const,
    buckets: SEND_ACK_BUCKETS,
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'Seconds from an HTTP request arriving to its response being sent, by method, route pattern and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  private readonly signInFailures = new Counter({
    name: `${METRIC_PREFIX}sign_in_failures_total`,
    help: 'Credential checks that failed (sign-in, key backup, password change), lockouts included',
    registers: [this.registry],
  });

  private readonly signInLockouts = new Counter({
    name: `${METRIC_PREFIX}sign_in_lockouts_total`,
    help: 'Failed credential checks that used up the last attempt and locked a username, address or device token out',
    registers: [this.registry],
  });

  constructor(@Inject(DATABASE_POOL) pool: Pool) {
    const registers = [this.registry];
    const socketCount = () => this.socketCount();
    new Gauge({
      name: `${METRIC_PREFIX}connected_sockets`,
      help: 'Socket.IO connections open on this instance',
      registers,
      collect() {
        this.set(socketCount());
      },
    });
    const poolGauge = (name: string, help: string, read: (pool: Pool) => number) =>
      new Gauge({
        name: `${METRIC_PREFIX}database_pool_${name}`,
        help,
        registers,
        collect() {
          this.set(read(pool));
        },
      });
    poolGauge('connections', 'Connections the database pool holds open, idle or in use', (p) => p.totalCount);
    poolGauge('idle_connections', 'Open connections of the database pool that no query is using', (p) => p.idleCount);
    poolGauge('waiting_clients', 'Queries waiting for a connection of the database pool', (p) => p.waitingCount);
    // Event-loop lag, heap, GC, CPU, file descriptors: prom-client's process metrics, prefixed like ours.
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  /** The gateway that owns the Socket.IO server says how to count its local sockets. */
  countSocketsWith(count: () => number): void {
    this.socketCount = count;
  }

  messagesCommitted(count: number): void {
    if (count > 0) this.messagesStored.inc(count);
  }

  /** Starts timing a chat:send; call the result with the outcome once it is acknowledged. */
  sendReceived(): (outcome: SendOutcome) => void {
    const end = this.sendAck.startTimer();
    return (outcome) => void end({ outcome });
  }

  httpRequestServed(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
  }

  signInFailed(lockedOut: boolean): void {
    this.signInFailures.inc();
    if (lockedOut) this.signInLockouts.inc();
  }

  /** The exposition text, and its Content-Type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
