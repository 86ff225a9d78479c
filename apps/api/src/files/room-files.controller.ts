import { Controller, Get, HttpCode, Param, Post, Put, Req, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ALLOWED_FILE_TYPES, FILE_BODY_TYPE, FILE_TYPE_PARAM, type FileLink, type FileUploadResult, LIMITS, type RoomFileUsage } from '@conclave/contracts';
import type { Request } from 'express';
import { CurrentUserId } from '../auth/principal/decorators.js';
import { RoomAccessGuard } from '../rooms/room-access.guard.js';
import { RoomCodePipe } from '../rooms/room-code.pipe.js';
import { NOT_IN_ROOM_DOC, TOO_MANY_PROBES } from '../rooms/route-docs.js';
import { FileIdPipe } from './file-id.pipe.js';
import { FilesErrorFilter } from './files.errors.js';
import { FilesService } from './files.service.js';
import { type AdmittedUpload, Upload, UploadAdmissionGuard } from './upload-admission.guard.js';

const STORAGE_DOWN = 'The storage driver failed (disk, bucket): try again after Retry-After';

/** A room's files: upload, download links, the room's total (docs/protocol.md §10.2). Members only. */
@ApiTags('files')
@Controller('api/rooms')
@UseGuards(RoomAccessGuard)
@UseFilters(FilesErrorFilter)
export class RoomFilesController {
  constructor(private readonly files: FilesService) {}

  @Put(':code/files/:fileId')
  @HttpCode(201)
  @UseGuards(UploadAdmissionGuard)
  @ApiOperation({ summary: 'Upload a file’s ciphertext (encrypted in the browser) under the id the browser made; pending until a message carries it' })
  @ApiConsumes(FILE_BODY_TYPE)
  @ApiBody({ description: `The ciphertext, at most ${LIMITS.fileCiphertextBytes} bytes, with Content-Length`, schema: { type: 'string', format: 'binary' } })
  @ApiQuery({ name: FILE_TYPE_PARAM, enum: [...new Set(Object.values(ALLOWED_FILE_TYPES))], description: 'The file’s declared type (metadata: the bytes are opaque)' })
  @ApiCreatedResponse({ description: 'FileUploadResult { fileId, bytes, mime, pendingUntil }' })
  @ApiBadRequestResponse({ description: 'A malformed file id, a type not allowed, fewer than 17 bytes, or a body that does not match its Content-Length' })
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiConflictResponse({ description: 'The file id is taken, or the upload would exceed FILE_QUOTA_MB_PER_USER (the message says how much is used)' })
  @ApiPayloadTooLargeResponse({ description: `Content-Length over ${LIMITS.fileCiphertextBytes}: refused before the body is read, and the connection closed` })
  @ApiUnsupportedMediaTypeResponse({ description: `A body that is not ${FILE_BODY_TYPE}` })
  @ApiTooManyRequestsResponse({ description: TOO_MANY_PROBES })
  @ApiServiceUnavailableResponse({ description: STORAGE_DOWN })
  async upload(
    @Param('code', RoomCodePipe) code: string,
    @Upload() { fileId, mime, bytes }: AdmittedUpload,
    @CurrentUserId() userId: string,
    @Req() body: Request,
  ): Promise<FileUploadResult> {
    return this.files.upload({ code, uploaderId: userId, fileId, mime, bytes, body });
  }

  @Post(':code/files/:fileId/link')
  @HttpCode(200)
  @ApiOperation({ summary: 'A download link for a file a message in this room carries, for a member who may read that message' })
  @ApiOkResponse({ description: 'FileLink { url, expiresAt } (FILE_LINK_TTL_SECONDS); ask again after expiresAt' })
  @ApiBadRequestResponse({ description: 'A malformed file id' })
  @ApiNotFoundResponse({ description: `${NOT_IN_ROOM_DOC}; or no file this member may read here (unknown, pending, another room’s, or before their join in a "joined" room): one answer for all` })
  @ApiTooManyRequestsResponse({ description: TOO_MANY_PROBES })
  @ApiServiceUnavailableResponse({ description: STORAGE_DOWN })
  link(@Param('code', RoomCodePipe) code: string, @Param('fileId', FileIdPipe) fileId: string, @CurrentUserId() userId: string): Promise<FileLink> {
    return this.files.link(code, userId, fileId);
  }

  @Get(':code/files')
  @ApiOperation({ summary: 'What the files the room’s messages carry take' })
  @ApiOkResponse({ description: 'RoomFileUsage { files, bytes } (ciphertext bytes)' })
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiTooManyRequestsResponse({ description: TOO_MANY_PROBES })
  usage(@Param('code', RoomCodePipe) code: string, @CurrentUserId() userId: string): Promise<RoomFileUsage> {
    return this.files.roomUsage(code, userId);
  }
}
