import pg from 'pg';
import type { Endpoint } from './server.js';

/** Runs one query against a test server's database (to set up or inspect what the API cannot). */
export function sql<T = Record<string, unknown>>(server: Endpoint, text: string, values: unknown[] = []): Promise<T[]> {
  return sqlAt<T>(server.databaseUrl(), text, values);
}

/** Runs one query on its own connection to `url` (a database several test servers share). */
export async function sqlAt<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}
