import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { HttpsOptions } from '@nestjs/common/interfaces/external/https-options.interface.js';
import { generate } from 'selfsigned';
import type { AppConfig } from '../config/app-config.js';

/** TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 suites are all strong and stay enabled). */
const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface TlsMaterial {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** Where the certificate came from, for the start-up log line. */
  readonly origin: string;
  readonly fingerprint256: string;
}

/** The certificate to serve: the configured files, or a self-signed one kept in DATA_DIR/tls. */
export async function resolveTls(config: AppConfig): Promise<TlsMaterial | undefined> {
  switch (config.tls.mode) {
    case 'proxy':
      return undefined;
    case 'files':
      return describe(config.tls.key, config.tls.cert, config.tls.certFile);
    case 'self-signed':
      return selfSigned(join(config.dataDir, 'tls'));
  }
}

export function httpsServerOptions(tls: TlsMaterial): HttpsOptions & { minVersion: 'TLSv1.2'; honorCipherOrder: boolean } {
  return { key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2', ciphers: TLS12_CIPHERS, honorCipherOrder: true };
}

async function selfSigned(dir: string): Promise<TlsMaterial> {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const existing = await Promise.all([readFile(keyFile), readFile(certFile)]).catch(() => undefined);
  // Keep the certificate across restarts (so a browser exception stays valid) until it nears expiry.
  if (existing && new Date(new X509Certificate(existing[1]).validTo).getTime() > Date.now() + 7 * 86_400_000) {
    return describe(existing[0], existing[1], certFile);
  }
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'Conclave self-signed' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 397 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: hostname() },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  await writeFile(certFile, pems.cert, { mode: 0o644 });
  return describe(Buffer.from(pems.private), Buffer.from(pems.cert), `${certFile} (self-signed, generated now)`);
}

function describe(key: Buffer, cert: Buffer, origin: string): TlsMaterial {
  return { key, cert, origin, fingerprint256: new X509Certificate(cert).fingerprint256 };
}

/** A configured certificate this close to its end is reported (start-up log, /api/health). */
export const CERTIFICATE_WARNING_DAYS = 30;

export interface CertificateValidity {
  readonly state: 'valid' | 'expiring' | 'expired';
  /** ISO 8601. */
  readonly validTo: string;
  /** Whole days until validTo (negative once past). */
  readonly daysLeft: number;
}

/** How long the (leaf) certificate of a PEM chain stays valid. */
export function certificateValidity(cert: Buffer, now = Date.now()): CertificateValidity {
  const validTo = new X509Certificate(cert).validToDate.getTime();
  const state = validTo <= now ? 'expired' : validTo - now < CERTIFICATE_WARNING_DAYS * 86_400_000 ? 'expiring' : 'valid';
  return { state, validTo: new Date(validTo).toISOString(), daysLeft: Math.floor((validTo - now) / 86_400_000) };
}

/** What to tell the operator about a certificate that is expiring or expired; undefined when it is fine. */
export function certificateWarning(validity: CertificateValidity): string | undefined {
  if (validity.state === 'expired') return `TLS_CERT_FILE: the certificate expired on ${validity.validTo}; browsers refuse it: renew it and restart Conclave`;
  if (validity.state === 'expiring') return `TLS_CERT_FILE: the certificate expires on ${validity.validTo} (in ${validity.daysLeft} days): renew it and restart Conclave to serve the new one`;
  return undefined;
}
