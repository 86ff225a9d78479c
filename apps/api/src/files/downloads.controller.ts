import { pipeline } from 'node:stream/promises';
import { Controller, Get, Param, Query, Res, UseFilters } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiGoneResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { API_PATHS, FILE_BODY_TYPE, FILE_ID_PATTERN, type UserFileUsage } from '@conclave/contracts';
import type { Response } from 'express';
import { CurrentUserId } from '../auth/principal/decorators.js';
import { ApiSession } from '../docs/route-docs.js';
import { FileIdPipe } from './file-id.pipe.js';
import { FilesErrorFilter } from './files.errors.js';
import { FilesService } from './files.service.js';
import { UserFileUsageDto } from './response.dto.js';

/** The caller's quota, and the local driver's downloads (docs/protocol.md §10.2). */
@ApiTags('files')
@Controller(API_PATHS.files.prefix)
@ApiSession()
@UseFilters(FilesErrorFilter)
export class DownloadsController {
  constructor(private readonly files: FilesService) {}

  // Before ':fileId', which would take "usage" for a (malformed) file id.
  @Get(API_PATHS.files.usage)
  @ApiOperation({ summary: 'What the caller’s uploads take of their quota' })
  @ApiOkResponse({ type: UserFileUsageDto })
  usage(@CurrentUserId() userId: string): Promise<UserFileUsage> {
    return this.files.userUsage(userId);
  }

  @Get(API_PATHS.files.download)
  @ApiOperation({ summary: 'Local storage only: the ciphertext behind a FileLink, for the signed-in user it was issued to' })
  @ApiParam({ name: 'fileId', description: 'The file id (a lower-case UUID)', schema: { type: 'string', pattern: FILE_ID_PATTERN.source } })
  @ApiQuery({ name: 'expires', type: String, description: "The link's expiry, seconds since 1970 (part of FileLink.url)" })
  @ApiQuery({ name: 'sig', type: String, description: "The link's signature (part of FileLink.url)" })
  @ApiOkResponse({ description: 'The ciphertext, as an attachment, never cached', content: { [FILE_BODY_TYPE]: { schema: { type: 'string', format: 'binary' } } } })
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
    const link = { expires: typeof expires === 'string' ? expires : undefined, sig: typeof sig === 'string' ? sig : undefined };
    const { stream, bytes } = await this.files.openDownload(fileId, userId, link);
    res.status(200).set({
      'Content-Type': FILE_BODY_TYPE,
      'Content-Length': String(bytes),
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': 'attachment',
    });
    // A client that goes away ends the pipeline; there is nobody left to answer.
    await pipeline(stream, res).catch(() => undefined);
  }
}
