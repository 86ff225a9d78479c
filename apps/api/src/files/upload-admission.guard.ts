import {
  BadRequestException,
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ALLOWED_FILE_TYPES, type AllowedMimeType, FILE_BODY_TYPE, FILE_ID_PATTERN, FILE_TYPE_PARAM, LIMITS } from '@conclave/contracts';
import type { Request, Response } from 'express';

/** The GCM tag and at least one byte: no encrypted file is shorter. */
const MIN_CIPHERTEXT_BYTES = 17;
const MIME_TYPES = new Set<string>(Object.values(ALLOWED_FILE_TYPES));

/** What an upload declared, checked before its body is read. */
export interface AdmittedUpload {
  fileId: string;
  mime: AllowedMimeType;
  bytes: number;
}

type UploadRequest = Request & { admittedUpload?: AdmittedUpload };

/**
 * Checks an upload's headers, query and id before a byte of its body is read (docs/protocol.md
 * §10.2): Content-Length present (411), at most LIMITS.fileCiphertextBytes (413) and at least a
 * GCM tag and a byte (400), an allowed type (400), a lower-case UUID (400), an octet-stream body
 * (415). A refused upload's connection is closed after the answer (closeUnreadBody), never drained.
 */
@Injectable()
export class UploadAdmissionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<UploadRequest>();
    req.admittedUpload = admit(req);
    return true;
  }
}

function admit(req: Request): AdmittedUpload {
  const fileId = String(req.params.fileId);
  const length = req.headers['content-length'];
  if (length === undefined || req.headers['transfer-encoding'] !== undefined) {
    throw new HttpException({ statusCode: HttpStatus.LENGTH_REQUIRED, error: 'Length Required', message: 'An upload needs Content-Length (the ciphertext’s size)' }, HttpStatus.LENGTH_REQUIRED);
  }
  const bytes = Number(length);
  if (bytes > LIMITS.fileCiphertextBytes) {
    throw new PayloadTooLargeException(`A file’s ciphertext is at most ${LIMITS.fileCiphertextBytes} bytes (8 MiB and the 16-byte tag); this one is ${bytes}`);
  }
  if (!Number.isSafeInteger(bytes) || bytes < MIN_CIPHERTEXT_BYTES) {
    throw new BadRequestException(`A file’s ciphertext is at least ${MIN_CIPHERTEXT_BYTES} bytes (a byte and the 16-byte tag)`);
  }
  const mime = req.query[FILE_TYPE_PARAM];
  if (typeof mime !== 'string' || !MIME_TYPES.has(mime)) {
    throw new BadRequestException(`?${FILE_TYPE_PARAM}= must be one of ${[...MIME_TYPES].join(', ')}`);
  }
  if (!FILE_ID_PATTERN.test(fileId)) throw new BadRequestException('fileId must be a lower-case UUID');
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== FILE_BODY_TYPE) throw new UnsupportedMediaTypeException(`An upload’s body is the ciphertext as ${FILE_BODY_TYPE}`);
  return { fileId, mime: mime as AllowedMimeType, bytes };
}

/** The upload UploadAdmissionGuard admitted. */
export const Upload = createParamDecorator((_data: unknown, context: ExecutionContext): AdmittedUpload => {
  const upload = context.switchToHttp().getRequest<UploadRequest>().admittedUpload;
  if (!upload) throw new Error('@Upload() needs UploadAdmissionGuard on the route');
  return upload;
});

/**
 * Middleware of the upload route: an answer sent before the body was read (any refusal) says
 * Connection: close, so Node closes the connection once the answer is out instead of reading and
 * discarding up to 8 MiB the server never wanted, and keeping the connection for another request.
 */
export function closeUnreadBody(req: Request, res: Response, next: () => void): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
    if (!req.complete && !res.headersSent) res.setHeader('Connection', 'close');
    return writeHead.apply(this, args);
  } as Response['writeHead'];
  next();
}
