import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ADMIN_API_PREFIX, API_PREFIX, METRICS_PATH, SESSION_COOKIE } from '@conclave/contracts';
import { ADMIN_TAGS } from '../admin/common/admin-tags.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DOCS_PATH } from '../security/headers.js';
import { ErrorBodyDto } from './error-body.dto.js';
import { API_TOKEN_SCHEME, SESSION_SCHEME } from './security-schemes.js';

const DESCRIPTION = [
  'REST API of Conclave, the end-to-end encrypted team chat. Messages, files, room keys and contact books are encrypted in the ' +
    'browser: the server stores and routes ciphertext, public keys and signed membership records, and can read none of it.',
  '**The end-to-end boundary.** Site admins and API tokens manage metadata, never content: no endpoint adds a member, grants a ' +
    'key or opens history. Removing a member, blocking joins and deleting a room are allowed because they only exclude; ' +
    "members' browsers then rotate the room key.",
  `**Authentication.** User routes take the session cookie \`${SESSION_COOKIE}\` that POST /api/auth/login sets (a browser's ` +
    'session; send Origin with state-changing requests). The admin API (`/' +
    ADMIN_API_PREFIX +
    `\`) and \`${METRICS_PATH}\` also take an API token, \`Authorization: Bearer cnk_…\`, which every other route refuses (401).`,
  '**Errors.** Every 4xx and 5xx answer is JSON `{statusCode, error, message}` (ErrorBodyDto; `message` is a list for a body that ' +
    'failed validation), some with a documented extra field. A state-changing request whose Origin is another site, or that ' +
    'carries a cookie but no Origin, is refused (403). While the database cannot be reached, routes answer 503 with Retry-After.',
].join('\n\n');

/** Tags in the order Swagger UI shows them. */
const TAGS: Array<readonly [name: string, description: string]> = [
  ['auth', 'Accounts and sessions: sign-up with a captcha, sign-in with the client-derived authKey, the sealed key backup and contact book'],
  ['users', 'The key directory: public identity keys of any user, for wrapping room keys and checking signatures'],
  ['rooms', 'Rooms, membership (join requests, invites, the room password as end-to-end secrets) and leaving; members only'],
  ['files', 'Encrypted file uploads, download links and quotas (ciphertext only)'],
  ['config', "The deployment's settings a browser follows, such as the message limit (public)"],
  ['health', 'Liveness and readiness for monitors and load balancers (no credentials)'],
  ['metrics', 'Prometheus metrics: an API token with metrics:read or an admin signed in (or, without credentials, the METRICS_ADDRESS listener)'],
  ...Object.values(ADMIN_TAGS),
];

/** Swagger UI at /api/docs, the OpenAPI document at /api/docs-json. */
export function setupSwagger(app: INestApplication, version: string): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  const builder = new DocumentBuilder()
    .setTitle('Conclave API')
    .setDescription(DESCRIPTION)
    .setVersion(version)
    .addServer(config.publicOrigin ?? '/', config.publicOrigin ? 'This deployment (PUBLIC_ORIGIN)' : 'The server this document came from')
    .addCookieAuth(SESSION_COOKIE, { type: 'apiKey', in: 'cookie', description: 'The session a sign-in starts (POST /api/auth/login): HttpOnly, Secure, SameSite=Strict' }, SESSION_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'cnk_<id>_<secret>', description: 'cnk_… API token (admin API and /metrics only)' }, API_TOKEN_SCHEME);
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), { extraModels: [ErrorBodyDto] });
  withErrorBodies(document);
  SwaggerModule.setup(DOCS_PATH.slice(1), app, document, { jsonDocumentUrl: `${DOCS_PATH.slice(1)}-json` });
}

const STATE_CHANGING = new Set(['post', 'put', 'patch', 'delete']);
const CROSS_SITE = 'Cross-site request refused: an Origin of another site, or a cookie without an Origin (the CSRF check of every state-changing /api request)';

/**
 * What holds for every route, written into each operation: an error answer documented without a
 * schema has the shared ErrorBodyDto (every exception filter answers that shape), and a
 * state-changing /api route documents the same-origin check's 403 (SameOriginMiddleware).
 */
function withErrorBodies(document: OpenAPIObject): void {
  const errorBody = { 'application/json': { schema: { $ref: getSchemaPath(ErrorBodyDto) } } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const responses = operation.responses as Record<string, { description: string; content?: object }>;
      if (STATE_CHANGING.has(method) && path.startsWith(`/${API_PREFIX}/`)) {
        const forbidden = responses['403'];
        responses['403'] = { ...forbidden, description: forbidden ? `${forbidden.description}; or: ${CROSS_SITE}` : CROSS_SITE };
      }
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400 && !response.content) response.content = errorBody;
      }
    }
  }
}
