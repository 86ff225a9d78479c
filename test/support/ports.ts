import { createServer, type Server } from 'node:net';

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Distinct TCP ports that were free a moment ago on loopback. All are held open until every one
 * is chosen: ports taken one after another can repeat, since the kernel may hand a just-closed
 * port out again.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnAnyPort());
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  }
}

/** A TCP port that was free a moment ago on loopback. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}
