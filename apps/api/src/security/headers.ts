import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../config/app-config.js';

/** Powerful features the app never uses, switched off for every page. */
const PERMISSIONS_POLICY = [
  'camera=()',
  'microphone=()',
  'geolocation=()',
  'payment=()',
  'usb=()',
  'serial=()',
  'midi=()',
  'magnetometer=()',
  'gyroscope=()',
  'accelerometer=()',
  'display-capture=()',
  'browsing-topics=()',
].join(', ');

/** The one route allowed a looser policy: Swagger UI sets inline styles (its scripts stay 'self'). */
export const DOCS_PATH = '/api/docs';

const nonce = (_req: unknown, res: unknown) => `'nonce-${(res as Response).locals.cspNonce as string}'`;

const common = {
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  frameguard: { action: 'deny' as const },
  referrerPolicy: { policy: 'no-referrer' as const },
};

/** Google reCAPTCHA v2, when configured instead of ALTCHA, loads its script and frame from these. */
const RECAPTCHA_SCRIPTS = ['https://www.google.com/recaptcha/', 'https://www.gstatic.com/recaptcha/'];
const RECAPTCHA_FRAMES = ['https://www.google.com/recaptcha/', 'https://recaptcha.google.com/recaptcha/'];

/** downloadOrigin: where browsers fetch file downloads from besides 'self' (the firebase driver's storage origin; docs/protocol.md §10.2). */
function appHeaders(recaptcha: boolean, downloadOrigin: string | undefined) {
  return helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // Angular's bundles are same-origin files; the per-response nonce covers the styles (and any
        // loader script) Angular inserts at run time. No 'unsafe-inline', no 'unsafe-eval'.
        scriptSrc: ["'self'", nonce, ...(recaptcha ? RECAPTCHA_SCRIPTS : [])],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", nonce],
        // Decrypted file previews are blob: URLs (docs/protocol.md §10.1); no data: images.
        imgSrc: ["'self'", 'blob:'],
        fontSrc: ["'self'"],
        // The web app manifest (/manifest.webmanifest) and, through it, the install icons.
        manifestSrc: ["'self'"],
        connectSrc: ["'self'", ...(downloadOrigin ? [downloadOrigin] : [])],
        // The captcha's proof-of-work runs in a same-origin worker.
        workerSrc: ["'self'", 'blob:'],
        frameSrc: recaptcha ? RECAPTCHA_FRAMES : ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: [],
      },
    },
  });
}

const docsHeaders = helmet({
  ...common,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
});

/** helmet on every response, a fresh CSP nonce per response, and Permissions-Policy. */
export function securityHeaders(config: AppConfig, fileDownloadOrigin: string | undefined): RequestHandler {
  const app = appHeaders(config.auth.captcha.provider === 'recaptcha', fileDownloadOrigin);
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.cspNonce = randomBytes(16).toString('base64');
    res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
    const isDocs = req.path === DOCS_PATH || req.path.startsWith(`${DOCS_PATH}/`);
    (isDocs ? docsHeaders : app)(req, res, next);
  };
}
