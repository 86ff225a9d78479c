/** GET /ping: liveness for uptime monitors; never touches the database. */
export interface PingResponse {
  status: 'ok';
}

/** Paths served outside the /api prefix. */
export const PING_PATH = '/ping';
/** Prefix of every REST route (each controller's path starts with it; /ping is the one route outside). */
export const API_PREFIX = 'api';
