import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { sql } from '../support/db.js';
import { processesMentioning } from '../support/processes.js';
import { newDataDir, ServerProcess } from '../support/server.js';

async function auditEvents(server: ServerProcess): Promise<string[]> {
  return (await sql<{ event: string }>(server, 'SELECT event FROM audit_log ORDER BY id')).map((r) => r.event);
}

const clusterProcesses = (dataDir: string) => processesMentioning(join(dataDir, 'postgres'));

describe('process lifecycle on the embedded database', () => {
  it('SIGTERM stops the server and the embedded PostgreSQL cleanly; data and certificate survive a restart', async () => {
    const dataDir = newDataDir();
    const first = await ServerProcess.start({ dataDir });
    const certificate = first.certificate.toString();
    expect(clusterProcesses(dataDir).length).toBeGreaterThan(0);

    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(clusterProcesses(dataDir)).toEqual([]);

    const second = await ServerProcess.start({ dataDir });
    try {
      expect(second.certificate.toString()).toBe(certificate);
      expect(await auditEvents(second)).toEqual(['server.started', 'server.stopped', 'server.started']);
      await request(second.origin).get('/api/health').ca(second.certificate).expect(200);
    } finally {
      await second.stop('SIGINT');
    }
    expect(clusterProcesses(dataDir)).toEqual([]);
  });

  it('Ctrl-C at a terminal (SIGINT to the whole process group) still shuts down in order', async () => {
    const dataDir = newDataDir();
    // PUBLIC_ORIGIN set: a production start without it warns (deployment-checks), and this log must stay clean.
    const server = await ServerProcess.spawn({ dataDir, detached: true, env: { PUBLIC_ORIGIN: 'https://chat.example.com' } });
    await server.ready();
    process.kill(-server.child.pid!, 'SIGINT');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    // Nothing failed on the way down: the database outlived the server's last write.
    const problems = server.stdout.split('\n').filter((line) => /"level":(40|50|60)/.test(line));
    expect(problems).toEqual([]);
    expect(clusterProcesses(dataDir)).toEqual([]);
  });

  it('recovers after kill -9: stops the orphaned PostgreSQL and starts on the same data', async () => {
    const dataDir = newDataDir();
    const first = await ServerProcess.start({ dataDir });
    const orphans = clusterProcesses(dataDir);
    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // The cluster outlives its killed parent, holding the data directory.
    expect(clusterProcesses(dataDir).length).toBeGreaterThan(0);

    const second = await ServerProcess.start({ dataDir });
    try {
      for (const pid of orphans) expect(clusterProcesses(dataDir)).not.toContain(pid);
      expect(await auditEvents(second)).toEqual(['server.started', 'server.started']);
    } finally {
      await second.stop();
    }
  });

  it('recovers from a stale postmaster.pid when PostgreSQL died with the server', async () => {
    const dataDir = newDataDir();
    const first = await ServerProcess.start({ dataDir });
    const postmaster = Number(readFileSync(join(dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[0]);
    await first.stop('SIGKILL');
    process.kill(postmaster, 'SIGKILL');
    for (let i = 0; i < 50 && clusterProcesses(dataDir).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(join(dataDir, 'postgres/postmaster.pid'), 'utf8')).toContain(String(postmaster));

    const second = await ServerProcess.start({ dataDir });
    try {
      await request(second.origin).get('/api/health').ca(second.certificate).expect(200);
    } finally {
      await second.stop();
    }
  });

  it('refuses to share a data directory with a running Conclave', async () => {
    const dataDir = newDataDir();
    const first = await ServerProcess.start({ dataDir });
    try {
      const second = await ServerProcess.spawn({ dataDir });
      const exit = await second.exited;
      expect(exit.code).not.toBe(0);
      expect(second.stderr.trim()).toMatch(/^conclave: DATA_DIR: .*in use by another running Conclave/);
      await request(first.origin).get('/api/health').ca(first.certificate).expect(200);
    } finally {
      await first.stop();
    }
  });
});
