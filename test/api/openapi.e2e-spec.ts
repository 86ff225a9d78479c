import SwaggerParser from '@apidevtools/swagger-parser';
import {
  ADMIN_API_PREFIX,
  AUTH_PATHS,
  CHAT_EVENTS,
  FILE_BODY_TYPE,
  FILE_PATHS,
  type FileLink,
  type InviteSummary,
  type JoinResult,
  METRICS_PATH,
  PING_PATH,
  ROOM_PATHS,
  type RoomDetail,
  type RoomSummary,
  SESSION_COOKIE,
} from '@conclave/contracts';
import { inviteIdFromSecret, inviteVerifier, joinProof, newInviteSecret, sealContactBook, sealVerifier } from '@conclave/crypto';
import type { Socket } from 'socket.io-client';
import request from 'supertest';
import { type Account, browserClient, type Client, FAST_AUTH_ENV, newAccount, registerBody, registeredClient, solveCaptcha } from '../support/accounts.js';
import { bytesBody, encryptedFile, sampleFiles, sendFileMessage, upload } from '../support/files.js';
import { grantAdmission, signRoomGenesis } from '../support/membership.js';
import { type OpenApiDocument, ResponseConformance } from '../support/openapi.js';
import { ServerProcess } from '../support/server.js';
import { ask, connect, connected, makeFirstEpoch, resultOf, sessionCookie } from '../support/sockets.js';

interface Schema {
  $ref?: string;
  type?: string;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
}
interface DocumentedResponse {
  description: string;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  tags?: string[];
  summary?: string;
  parameters?: Array<{ name: string; in: string; description?: string; schema?: { type?: string } }>;
  security?: Array<Record<string, string[]>>;
  responses: Record<string, DocumentedResponse>;
}
interface Document extends OpenApiDocument {
  info: { title: string; description: string; version: string };
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description?: string }>;
  components: { schemas: Record<string, { required?: string[] }>; securitySchemes: Record<string, Record<string, string>> };
}

const ERROR_BODY = '#/components/schemas/ErrorBodyDto';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const REGISTER_LIMIT = 12;
/** A well-formed authKey that is nobody's. */
const WRONG_AUTH_KEY = `${'A'.repeat(42)}E=`;

let server: ServerProcess;
let document: Document;
let conformance: ResponseConformance;

beforeAll(async () => {
  server = await ServerProcess.start({ env: { ...FAST_AUTH_ENV, REGISTER_LIMIT_PER_HOUR: String(REGISTER_LIMIT), CHAT_RATE_LIMIT: 'burst' } });
  document = (await request(server.origin).get('/api/docs-json').ca(server.certificate).expect(200)).body as Document;
  conformance = new ResponseConformance(document);
});

afterAll(async () => {
  await server?.stop();
});

function operations(): Array<{ name: string; method: string; path: string; operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, operation: operation as unknown as Operation })),
  );
}

/** A schema made of the document's named components: a $ref, a list of them, or a choice between them. */
const isNamed = (schema: Schema | undefined): boolean =>
  Boolean(schema?.$ref || (schema?.type === 'array' && schema.items?.$ref) || [...(schema?.oneOf ?? []), ...(schema?.anyOf ?? [])].every((s) => s.$ref) && (schema?.oneOf ?? schema?.anyOf)?.length);

const schemesOf = (operation: Operation) => (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));

describe('the OpenAPI document (/api/docs-json)', () => {
  it('is a valid OpenAPI 3 document (@apidevtools/swagger-parser)', async () => {
    const validated = await SwaggerParser.validate(structuredClone(document) as never);
    expect((validated as { openapi?: string }).openapi).toMatch(/^3\./);
  });

  it('states the end-to-end boundary, its servers and version, both security schemes and the shared error schema', () => {
    expect(document.info.description).toContain('Site admins and API tokens manage metadata, never content');
    expect(document.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(document.servers?.length).toBeGreaterThan(0);
    expect(document.components.securitySchemes['api-token']).toMatchObject({ type: 'http', scheme: 'bearer', description: 'cnk_… API token (admin API and /metrics only)' });
    expect(document.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: SESSION_COOKIE });
    expect(document.components.schemas.ErrorBodyDto!.required?.sort()).toEqual(['error', 'message', 'statusCode']);
  });

  it('gives every operation a described tag, a summary, described parameters, and success answers with a schema of named components (none for 204)', () => {
    const described = new Set((document.tags ?? []).filter((t) => t.description).map((t) => t.name));
    const problems = operations().flatMap(({ name, operation }) => {
      const found: string[] = [];
      if (!operation.tags?.length) found.push('no tag');
      for (const tag of operation.tags ?? []) if (!described.has(tag)) found.push(`tag "${tag}" is not described at the top of the document`);
      if (!operation.summary) found.push('no summary');
      for (const parameter of operation.parameters ?? []) {
        if (!parameter.description || !parameter.schema?.type) found.push(`${parameter.in} parameter ${parameter.name} without a description and a typed schema`);
      }
      const successes = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
      if (!successes.length) found.push('no 2xx answer');
      for (const [status, response] of successes) {
        if (status === '204') {
          if (response.content) found.push('a 204 with a body');
          continue;
        }
        const media = Object.entries(response.content ?? {});
        if (!media.length) found.push(`${status} without a body schema`);
        for (const [type, { schema }] of media) {
          if (type === 'application/json' ? !isNamed(schema) : !schema) found.push(`${status} ${type} without a ${type === 'application/json' ? 'response DTO' : 'schema'}`);
        }
      }
      return found.map((problem) => `${name}: ${problem}`);
    });
    expect(problems).toEqual([]);
  });

  it('documents a client error with the shared ErrorBodyDto on every operation, and a JSON error schema for every error answer', () => {
    const problems = operations().flatMap(({ name, operation }) => {
      const errors = Object.entries(operation.responses).filter(([status]) => Number(status) >= 400);
      const found = errors.filter(([, response]) => !response.content?.['application/json']?.schema).map(([status]) => `${name}: ${status} without a JSON schema`);
      const shared = errors.some(([status, response]) => status.startsWith('4') && response.content?.['application/json']?.schema?.$ref === ERROR_BODY);
      return shared ? found : [...found, `${name}: no 4xx answer with ${ERROR_BODY}`];
    });
    expect(problems).toEqual([]);
  });

  it('asks for the api-token scheme on every admin API and metrics operation, and on no other', () => {
    const problems = operations().flatMap(({ name, path, operation }) => {
      const takesTokens = path.startsWith(`/${ADMIN_API_PREFIX}/`) || path === METRICS_PATH;
      return takesTokens === schemesOf(operation).includes('api-token') ? [] : [`${name}: ${takesTokens ? 'lacks' : 'must not declare'} the api-token security`];
    });
    expect(problems).toEqual([]);
  });

  it('declares credentials exactly on the operations that refuse an anonymous call (401)', async () => {
    const answers = [];
    for (const { name, method, path, operation } of operations()) {
      const url = path.replace(/\{[^}]+\}/g, 'x');
      const res = await request(server.origin)[method as 'get'](url).ca(server.certificate);
      answers.push({ name, declared: schemesOf(operation).length > 0, refused: res.status === 401 });
    }
    expect(answers.filter((a) => a.declared !== a.refused)).toEqual([]);
  });

  it('names a documented route with every URL the clients build (AUTH_PATHS, ROOM_PATHS, FILE_PATHS, PING_PATH)', () => {
    const templates = Object.keys(document.paths).map((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`));
    const urls = [AUTH_PATHS, ROOM_PATHS, FILE_PATHS]
      .flatMap((paths) => Object.values(paths))
      .map((path) => (typeof path === 'function' ? (path as (...args: string[]) => string)('x', 'y') : path))
      .concat(PING_PATH);
    expect(urls.filter((url) => !templates.some((t) => t.test(url)))).toEqual([]);
  });
});

describe('real answers conform to their documented schemas (test/support/openapi.ts)', () => {
  /** Checks `res` against the schema documented for its status on `method path` and returns its body. */
  function documented<T>(method: string, path: string, res: request.Response): T {
    conformance.check(method, path, res.status, res.body);
    return res.body as T;
  }

  let ann: Account;
  let annRest: Client;
  let annSocket: Socket;
  let ben: Account;
  let benRest: Client;
  let room: RoomSummary;
  let epochKey: CryptoKey;
  const get = (path: string) => request(server.origin).get(path).ca(server.certificate);

  afterAll(() => {
    annSocket?.disconnect();
  });

  it('of a visitor: ping, health, the captcha, an empty session, and the refusals of /me and of a malformed body', async () => {
    documented('get', '/ping', await get('/ping').expect(200));
    documented('get', '/api/health', await get('/api/health').expect(200));
    documented('get', '/api/auth/captcha', await get('/api/auth/captcha').expect(200));
    expect(documented('get', '/api/auth/session', await get('/api/auth/session').expect(200))).toEqual({ user: null });
    documented('get', '/api/auth/me', await get('/api/auth/me').expect(401));
    documented('get', '/ping', await get('/ping').type('json').send('{').expect(400));
  });

  it('of sign-up and sign-in: register with the captcha, a taken name, a malformed body, a wrong and a right key, me, session, key backup', async () => {
    ann = await newAccount('ann');
    annRest = browserClient(server);
    const registered = documented('post', '/api/auth/register', await annRest.post(AUTH_PATHS.register, registerBody(ann, await solveCaptcha(server))).expect(201));
    expect(registered).toEqual({ id: ann.userId, username: 'ann' });
    documented('post', '/api/auth/register', await annRest.post(AUTH_PATHS.register, registerBody(ann, await solveCaptcha(server))).expect(409));
    documented('post', '/api/auth/register', await annRest.post(AUTH_PATHS.register, {}).expect(400));

    const wrong = { username: 'ann', authKey: WRONG_AUTH_KEY };
    expect(documented<{ attemptsLeft: number }>('post', '/api/auth/login', await annRest.post(AUTH_PATHS.login, wrong).expect(401)).attemptsLeft).toBeGreaterThan(0);
    documented('post', '/api/auth/login', await annRest.post(AUTH_PATHS.login, { username: 'ann', authKey: ann.keys.authKey }).expect(200));
    documented('get', '/api/auth/me', await annRest.get(AUTH_PATHS.me).expect(200));
    expect(documented<{ user: { id: string } }>('get', '/api/auth/session', await annRest.get(AUTH_PATHS.session).expect(200)).user.id).toBe(ann.userId);
    documented('post', '/api/auth/key-backup', await annRest.post(AUTH_PATHS.keyBackup, { authKey: ann.keys.authKey }).expect(200));
    documented('post', '/api/auth/key-backup', await annRest.post(AUTH_PATHS.keyBackup, { authKey: WRONG_AUTH_KEY }).expect(401));
  });

  it('of rooms: create, list, detail before and after the genesis, a join request, pending rooms, a member joining, and refusals', async () => {
    room = documented('post', '/api/rooms', await annRest.post(ROOM_PATHS.rooms, { name: 'Documented', history: 'shared' }).expect(201));
    documented('get', '/api/rooms', await annRest.get(ROOM_PATHS.rooms).expect(200));
    expect(documented<RoomDetail>('get', '/api/rooms/{code}', await annRest.get(ROOM_PATHS.room(room.code)).expect(200)).genesis).toBeNull();

    annSocket = connect(server, await sessionCookie(server, ann));
    await connected(annSocket);
    await signRoomGenesis(annSocket, room.id, ann);
    resultOf(await ask(annSocket, CHAT_EVENTS.enter, { code: room.code }));
    epochKey = await makeFirstEpoch(annSocket, room.id, ann, [ann]);

    ben = await newAccount('ben');
    benRest = await registeredClient(server, ben);
    const asked = documented<JoinResult>('post', '/api/rooms/{code}/join', await benRest.post(ROOM_PATHS.join(room.code), {}).expect(200));
    expect(asked.status).toBe('pending');
    documented('get', '/api/rooms/pending', await benRest.get(ROOM_PATHS.pending).expect(200));
    const waiting = documented<RoomDetail>('get', '/api/rooms/{code}', await annRest.get(ROOM_PATHS.room(room.code)).expect(200));
    expect(waiting.genesis).not.toBeNull();
    expect(waiting.pending.map((r) => r.userId)).toEqual([ben.userId]);
    await grantAdmission(annSocket, room.id, ann, ben);
    expect(documented<JoinResult>('post', '/api/rooms/{code}/join', await benRest.post(ROOM_PATHS.join(room.code), {}).expect(200)).status).toBe('member');
    expect(documented<RoomDetail>('get', '/api/rooms/{code}', await benRest.get(ROOM_PATHS.room(room.code)).expect(200)).admissions.map((a) => a.memberId)).toEqual([ben.userId]);

    documented('get', '/api/rooms/{code}', await annRest.get(ROOM_PATHS.room('ZZZZ')).expect(404));
    documented('get', '/api/rooms/{code}', await annRest.get(ROOM_PATHS.room('0000')).expect(400));
    documented('post', '/api/rooms', await annRest.post(ROOM_PATHS.rooms, { name: '', history: 'sometimes' }).expect(400));
    documented('post', '/api/rooms', await annRest.post(ROOM_PATHS.rooms, { name: 'Forged', history: 'shared' }).set('Origin', 'https://elsewhere.example').expect(403));
  });

  it('of invites: create and list, and a join request that carries one (with its proof and sealed verifier)', async () => {
    const secret = newInviteSecret();
    const id = await inviteIdFromSecret(secret);
    const verifier = await inviteVerifier(secret);
    const sealed = await sealVerifier({ roomId: room.id, epoch: 1, epochKey, verifierId: id, verifier });
    const invite = { id, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxUses: 3, sealed };
    documented<InviteSummary>('post', '/api/rooms/{code}/invites', await annRest.post(ROOM_PATHS.invites(room.code), invite).expect(201));
    documented('post', '/api/rooms/{code}/invites', await annRest.post(ROOM_PATHS.invites(room.code), invite).expect(409));
    documented('get', '/api/rooms/{code}/invites', await benRest.get(ROOM_PATHS.invites(room.code)).expect(200));

    const cai = await newAccount('cai');
    const caiRest = await registeredClient(server, cai);
    const proof = await joinProof(verifier, { code: room.code, joinerId: cai.userId, joinerKeys: cai.publicKeys });
    documented('post', '/api/rooms/{code}/join', await caiRest.post(ROOM_PATHS.join(room.code), { invite: { id, proof } }).expect(200));
    const detail = documented<RoomDetail>('get', '/api/rooms/{code}', await annRest.get(ROOM_PATHS.room(room.code)).expect(200));
    expect(detail.pending).toEqual([expect.objectContaining({ userId: cai.userId, via: 'invite', inviteId: id, proof, sealed })]);
  });

  it('of the contact book and the key directory', async () => {
    await annRest.get(AUTH_PATHS.contacts).expect(204);
    const book = await sealContactBook({ v: 1, contacts: {} }, ann.keys.wrapKey, ann.userId);
    await annRest.put(AUTH_PATHS.contacts, book).expect(204);
    expect(documented('get', '/api/auth/contacts', await annRest.get(AUTH_PATHS.contacts).expect(200))).toEqual(book);
    documented('put', '/api/auth/contacts', await annRest.put(AUTH_PATHS.contacts, { ...book, v: 2 }).expect(400));

    documented('get', '/api/users/{id}/keys', await annRest.get(AUTH_PATHS.userKeys(ben.userId)).expect(200));
    documented('get', '/api/users/{id}/keys', await annRest.get(AUTH_PATHS.userKeys('3f1c2b9e-8d4a-4e6b-9a7c-1d2e3f4a5b6c')).expect(404));
    documented('get', '/api/users/{id}/keys', await annRest.get(AUTH_PATHS.userKeys('nobody')).expect(400));
  });

  it('of files: the quota, an upload and its refusal, a link before and after its message, the binary download, the room total', async () => {
    documented('get', '/api/files/usage', await annRest.get(FILE_PATHS.usage).expect(200));
    const { name, bytes } = sampleFiles('documented')[0]!;
    const file = await encryptedFile(room.id, name, bytes);
    const uploadPath = '/api/rooms/{code}/files/{fileId}';
    documented('put', uploadPath, await upload(annRest, room.code, file.fileId, file.ciphertext, file.descriptor.mime).expect(201));
    documented('put', uploadPath, await upload(annRest, room.code, file.fileId, file.ciphertext, file.descriptor.mime).expect(409));
    const linkPath = '/api/rooms/{code}/files/{fileId}/link';
    documented('post', linkPath, await annRest.post(FILE_PATHS.link(room.code, file.fileId)).expect(404));

    const { reply } = await sendFileMessage(annSocket, ann, { id: room.id, epoch: 1, epochKey }, file);
    expect(reply.ok).toBe(true);
    const link = documented<FileLink>('post', linkPath, await annRest.post(FILE_PATHS.link(room.code, file.fileId)).expect(200));
    const download = await annRest
      .get(link.url)
      .buffer(true)
      .parse(bytesBody)
      .expect(200);
    expect(download.headers['content-type']).toBe(FILE_BODY_TYPE);
    expect(Object.keys(document.paths['/api/files/{fileId}']!.get!.responses!['200']!.content!)).toEqual([FILE_BODY_TYPE]);
    expect(Buffer.compare(download.body as Buffer, Buffer.from(file.ciphertext))).toBe(0);
    documented('get', '/api/files/{fileId}', await annRest.get(`${FILE_PATHS.download(file.fileId)}?expires=1&sig=x`).expect(403));

    expect(documented('get', '/api/rooms/{code}/files', await benRest.get(FILE_PATHS.roomUsage(room.code)).expect(200))).toEqual({ files: 1, bytes: file.ciphertext.byteLength });
  });

  it('of a sign-in lockout (429 with retryAfterSeconds) and of the sign-up rate limit (429)', async () => {
    const guess = () => annRest.post(AUTH_PATHS.login, { username: 'nobody', authKey: WRONG_AUTH_KEY });
    let locked = await guess();
    for (let i = 0; locked.status === 401 && i < 10; i++) {
      documented('post', '/api/auth/login', locked);
      locked = await guess();
    }
    documented('post', '/api/auth/login', locked);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBe(locked.body.retryAfterSeconds);

    let throttled: request.Response | undefined;
    for (let i = 0; i <= REGISTER_LIMIT; i++) {
      const res = await annRest.post(AUTH_PATHS.register, {});
      documented('post', '/api/auth/register', res);
      if (res.status === 429) {
        throttled = res;
        break;
      }
    }
    expect(throttled?.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
  });
});

