import type { ExecutionContext } from '@nestjs/common';
import { LIMITS } from '@conclave/contracts';
import type { Request } from 'express';
import { UploadAdmissionGuard } from './upload-admission.guard.js';

const FILE_ID = '0a0b0c0d-1e1f-4a4b-8c8d-9e9f0a0b0c0d';

function contextFor(overrides: { headers?: Record<string, string | undefined>; query?: Record<string, unknown>; fileId?: string }) {
  const req = {
    params: { code: 'ABCD', fileId: overrides.fileId ?? FILE_ID },
    query: overrides.query ?? { type: 'image/png' },
    headers: { 'content-length': '100', 'content-type': 'application/octet-stream', ...overrides.headers },
  } as unknown as Request & { admittedUpload?: unknown };
  const context = { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
  return { req, context };
}

const statusOf = (overrides: Parameters<typeof contextFor>[0]) => {
  try {
    new UploadAdmissionGuard().canActivate(contextFor(overrides).context);
    return 'admitted';
  } catch (err) {
    return (err as { getStatus(): number }).getStatus();
  }
};

describe('UploadAdmissionGuard (headers only: the body is never touched)', () => {
  it('admits an upload with its id, type and length', () => {
    const { req, context } = contextFor({ headers: { 'content-type': 'application/octet-stream; charset=binary', 'content-length': String(LIMITS.fileCiphertextBytes) } });
    expect(new UploadAdmissionGuard().canActivate(context)).toBe(true);
    expect(req.admittedUpload).toEqual({ fileId: FILE_ID, mime: 'image/png', bytes: LIMITS.fileCiphertextBytes });
  });

  it.each([
    ['no Content-Length', { headers: { 'content-length': undefined } }, 411],
    ['chunked transfer', { headers: { 'transfer-encoding': 'chunked' } }, 411],
    ['one byte over the bound', { headers: { 'content-length': String(LIMITS.fileCiphertextBytes + 1) } }, 413],
    ['a huge length', { headers: { 'content-length': '99999999999999999999' } }, 413],
    ['shorter than a tag and a byte', { headers: { 'content-length': '16' } }, 400],
    ['a length that is not a number', { headers: { 'content-length': 'abc' } }, 400],
    ['no type', { query: {} }, 400],
    ['a type not allowed', { query: { type: 'text/html' } }, 400],
    ['two types', { query: { type: ['image/png', 'image/gif'] } }, 400],
    ['an upper-case id', { fileId: FILE_ID.toUpperCase() }, 400],
    ['an id that is no UUID', { fileId: '../../etc/passwd' }, 400],
    ['a JSON body', { headers: { 'content-type': 'application/json' } }, 415],
    ['no body type', { headers: { 'content-type': undefined } }, 415],
  ])('refuses %s (%s)', (_what, overrides, status) => {
    expect(statusOf(overrides as Parameters<typeof contextFor>[0])).toBe(status);
  });
});
