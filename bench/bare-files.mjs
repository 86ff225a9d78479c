// The baseline of bench/files.mjs: a bare Node HTTPS server on Conclave's certificate that takes an
// upload's bytes and sends them back, with nothing else (no session, no checks, no database).
//   PUT /memory/:id  reads the body and drops it: the floor of TLS and HTTP on this machine
//   PUT /disk/:id    writes it as a storage driver would: to a .part file, flushed to disk, renamed
//   GET /disk/:id    streams that file back
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const [certFile, keyFile, port, dir] = process.argv.slice(2);

const reply = (res, status, body = {}) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const https = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, async (req, res) => {
  const [, where, id = ''] = req.url.split('/');
  if (!/^[0-9a-f-]{36}$/.test(id)) return reply(res, 404);
  try {
    if (req.method === 'PUT' && where === 'memory') {
      let bytes = 0;
      for await (const chunk of req) bytes += chunk.length;
      return reply(res, 201, { bytes });
    }
    if (req.method === 'PUT' && where === 'disk') {
      const part = join(dir, `${id}.part`);
      await pipeline(req, createWriteStream(part, { flush: true }));
      await rename(part, join(dir, id));
      return reply(res, 201, { bytes: (await stat(join(dir, id))).size });
    }
    if (req.method === 'GET' && where === 'disk') {
      const file = join(dir, id);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': (await stat(file)).size });
      return await pipeline(createReadStream(file), res);
    }
    reply(res, 404);
  } catch (err) {
    if (!res.headersSent) reply(res, 500, { message: String(err) });
    else res.destroy();
  }
});
https.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
