import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';

/** Seconds a client is told to wait after the storage driver failed. */
export const STORAGE_RETRY_AFTER_SECONDS = 10;

/** The storage driver failed (a full disk, the bucket unreachable): a deliberate 503, never a crash. */
export class FileStorageUnavailable extends Error {
  constructor(cause: unknown) {
    super('file storage unavailable', { cause });
    this.name = 'FileStorageUnavailable';
  }
}

/** The client went away mid-upload: there is nobody to answer. */
export class UploadAbandoned extends Error {
  constructor() {
    super('the client closed the upload before its end');
    this.name = 'UploadAbandoned';
  }
}

/** The files routes' own failures: 503 with Retry-After for the storage driver, silence for an abandoned upload. */
@Catch(FileStorageUnavailable, UploadAbandoned)
export class FilesErrorFilter implements ExceptionFilter {
  catch(exception: FileStorageUnavailable | UploadAbandoned, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    if (exception instanceof UploadAbandoned) {
      http.getRequest<Request>().destroy();
      return;
    }
    http
      .getResponse<Response>()
      .status(HttpStatus.SERVICE_UNAVAILABLE)
      .setHeader('Retry-After', String(STORAGE_RETRY_AFTER_SECONDS))
      .json({ statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: 'Service Unavailable', message: `File storage unavailable: try again in ${STORAGE_RETRY_AFTER_SECONDS} seconds` });
  }
}

/** Runs a storage driver call; its failure becomes FileStorageUnavailable. */
export async function storageCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new FileStorageUnavailable(err);
  }
}
