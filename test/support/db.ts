import pg from 'pg';
import type { Endpoint } from './server.js';

/** Runs one query against a test server's database (to set up or inspect what the API cannot). */
export async function sql<T = Record<string, unknown>>(server: Endpoint, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: server.databaseUrl() });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}
