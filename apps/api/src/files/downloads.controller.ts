import { pipeline } from 'node:stream/promises';
import { Controller, ForbiddenException, Get, GoneException, Inject, NotFoundException, Param, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiGoneResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { FILE_BODY_TYPE, type UserFileUsage } from '@conclave/contracts';
import type { Response } from 'express';
import { CurrentUserId, SessionGuard } from '../auth/session/session.guard.js';
import { FileIdPipe } from './file-id.pipe.js';
import { FILE_STORAGE, type FileStorage } from './file-storage.js';
import { FilesErrorFilter, storageCall } from './files.errors.js';
import { FilesService, NoSuchFileException } from './files.service.js';
import { LocalFileStorage } from './storage/local.storage.js';

/** The caller's quota, and the local driver's downloads (docs/protocol.md §10.2). */
@ApiTags('files')
@Controller('api/files')
@UseGuards(SessionGuard)
@UseFilters(FilesErrorFilter)
export class DownloadsController {
  constructor(
    private readonly files: FilesService,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
  ) {}

  // Before ':fileId', which would take "usage" for a (malformed) file id.
  @Get('usage')
  @ApiOperation({ summary: 'What the caller’s uploads take of their quota' })
  @ApiOkResponse({ description: 'UserFileUsage { usedBytes, quotaBytes }' })
  usage(@CurrentUserId() userId: string): Promise<UserFileUsage> {
    return this.files.userUsage(userId);
  }

  @Get(':fileId')
  @ApiOperation({ summary: 'Local storage only: the ciphertext behind a FileLink, for the signed-in user it was issued to' })
  @ApiProduces(FILE_BODY_TYPE)
  @ApiOkResponse({ description: 'The ciphertext, as an attachment, never cached' })
  @ApiBadRequestResponse({ description: 'A malformed file id' })
  @ApiForbiddenResponse({ description: 'A missing or wrong signature, or a link issued to another user' })
  @ApiGoneResponse({ description: 'The link expired: ask for a new one' })
  @ApiNotFoundResponse({ description: 'No such file, the caller is no longer a member of its room, or the server stores files in Firebase' })
  async download(
    @Param('fileId', FileIdPipe) fileId: string,
    @Query('expires') expires: unknown,
    @Query('sig') sig: unknown,
    @CurrentUserId() userId: string,
    @Res() res: Response,
  ): Promise<void> {
    if (!(this.storage instanceof LocalFileStorage)) throw new NotFoundException('Downloads come from the storage’s own links with this server’s storage driver');
    const local = this.storage;
    const check = local.checkLink(fileId, userId, typeof expires === 'string' ? expires : undefined, typeof sig === 'string' ? sig : undefined);
    if (check === 'bad-signature') throw new ForbiddenException('This link is not valid for you: ask for a new one');
    if (check === 'expired') throw new GoneException('Link expired: ask for a new one');
    if (!(await this.files.mayDownload(fileId, userId))) throw new NoSuchFileException();
    const object = await storageCall(() => local.open(fileId));
    if (!object) throw new NoSuchFileException();
    res.status(200).set({
      'Content-Type': FILE_BODY_TYPE,
      'Content-Length': String(object.bytes),
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': 'attachment',
    });
    // A client that goes away ends the pipeline; there is nobody left to answer.
    await pipeline(object.stream, res).catch(() => undefined);
  }
}
