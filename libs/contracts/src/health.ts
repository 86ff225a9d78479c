/** GET /ping: liveness for uptime monitors; never touches the database. */
export interface PingResponse {
  status: 'ok';
}

/** Paths served outside the /api prefix. */
export const PING_PATH = '/ping';
/** Prefix of every REST route (each controller's path starts with it; /ping is the one route outside). */
export const API_PREFIX = 'api';

/** One dependency's state in a readiness answer (Terminus). */
export interface HealthIndicatorState {
  status: 'up' | 'degraded' | 'down';
  /** Why it is degraded or down. */
  message?: string;
}

/** The dependencies /api/health checks: the database always, the TLS certificate when TLS_CERT_FILE serves it. */
export interface HealthIndicators {
  database?: HealthIndicatorState & { /** Milliseconds the database took to answer. */ responseTime?: number };
  tls?: HealthIndicatorState & { validTo: string; daysLeft: number };
}

/** GET /api/health: readiness for load balancers; 200 when ready (ok or degraded), 503 with the same shape when not. */
export interface HealthResponse {
  status: 'ok' | 'degraded' | 'error' | 'shutting_down';
  /** The dependencies that are up (or degraded). */
  info?: HealthIndicators;
  /** The dependencies that are down. */
  error?: HealthIndicators;
  /** Every dependency checked. */
  details: HealthIndicators;
}
