import { spawn } from 'node:child_process';
import request from 'supertest';
import { freePorts } from '../support/ports.js';
import { processesMentioning } from '../support/processes.js';
import { newDataDir, REPO_ROOT } from '../support/server.js';

describe('npm start', () => {
  it('serves the app over HTTPS, redirects plain HTTP, and stops cleanly on Ctrl-C', async () => {
    const dataDir = newDataDir();
    const [port, httpPort] = await freePorts(2);
    // A new user's environment: no NODE_ENV (jest sets it to "test"), so the production defaults apply.
    const { NODE_ENV: _jest, NODE_OPTIONS: _vm, ...userEnv } = process.env;
    const npm = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: { ...userEnv, DATA_DIR: dataDir, PORT: String(port), HTTP_PORT: String(httpPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => npm.on('exit', () => resolve()));
    try {
      for (let i = 0; i < 300 && !/Conclave listening/.test(output); i++) await new Promise((r) => setTimeout(r, 100));
      expect(output).toContain(`Conclave listening on https://localhost:${port}`);
      const page = await request(`https://localhost:${port}`).get('/').trustLocalhost().expect(200);
      expect(page.text).toContain('<cv-root');
      await request(`http://localhost:${httpPort}`).get('/').redirects(0).expect(301);
    } finally {
      process.kill(-npm.pid!, 'SIGINT'); // what a terminal sends on Ctrl-C: the whole process group
    }
    await exited; // npm itself re-raises the SIGINT; what matters is how the server went down
    expect(output).toMatch(/"msg":"SIGINT: shutting down"[\s\S]*"msg":"stopped"/);
    // The one warning a default start gives: no PUBLIC_ORIGIN in production (deployment-checks covers it).
    expect(output.split('\n').filter((line) => /"level":(40|50|60)/.test(line))).toEqual([expect.stringContaining('PUBLIC_ORIGIN is not set')]);
    expect(processesMentioning(dataDir)).toEqual([]);
  });
});
