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
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ALLOWED_FILE_TYPES, API_PATHS, FILE_BODY_TYPE, FILE_ID_PATTERN, FILE_TYPE_PARAM, type FileLink, type FileUploadResult, LIMITS, type RoomFileUsage } from '@conclave/contracts';
import type { Request } from 'express';
import { CurrentUserId } from '../auth/principal/decorators.js';
import { ApiRetryLaterResponse, ApiSession } from '../docs/route-docs.js';
import { RoomAccessGuard } from '../rooms/room-access.guard.js';
import { RoomCodePipe } from '../rooms/room-code.pipe.js';
import { ApiRoomCodeParam, BAD_CODE_DOC, NOT_IN_ROOM_DOC, TOO_MANY_PROBES } from '../rooms/route-docs.js';
import { FileIdPipe } from './file-id.pipe.js';
import { FilesErrorFilter } from './files.errors.js';
import { FilesService } from './files.service.js';
import { FileLinkDto, FileUploadResultDto, RoomFileUsageDto } from './response.dto.js';
import { type AdmittedUpload, Upload, UploadAdmissionGuard } from './upload-admission.guard.js';

const STORAGE_DOWN = 'The storage driver failed (disk, bucket): try again after Retry-After';
/** The {fileId} of a file route: the UUID the uploading browser made, in lower case. */
const ApiFileIdParam = () => ApiParam({ name: 'fileId', description: 'The id the uploading browser made: a lower-case UUID', schema: { type: 'string', pattern: FILE_ID_PATTERN.source } });

/** A room's files: upload, download links, the room's total (docs/protocol.md §10.2). Members only. */
@ApiTags('files')
@Controller(API_PATHS.rooms.prefix)
@UseGuards(RoomAccessGuard)
@ApiSession()
@ApiRoomCodeParam()
@UseFilters(FilesErrorFilter)
export class RoomFilesController {
  constructor(private readonly files: FilesService) {}

  @Put(API_PATHS.rooms.file)
  @HttpCode(201)
  @UseGuards(UploadAdmissionGuard)
  @ApiOperation({ summary: 'Upload a file’s ciphertext (encrypted in the browser) under the id the browser made; pending until a message carries it' })
  @ApiFileIdParam()
  @ApiConsumes(FILE_BODY_TYPE)
  @ApiBody({ description: `The ciphertext, at most ${LIMITS.fileCiphertextBytes} bytes, with Content-Length`, schema: { type: 'string', format: 'binary' } })
  @ApiQuery({ name: FILE_TYPE_PARAM, enum: [...new Set(Object.values(ALLOWED_FILE_TYPES))], description: 'The file’s declared type (metadata: the bytes are opaque)' })
  @ApiCreatedResponse({ type: FileUploadResultDto, description: 'Stored, pending until a message carries it' })
  @ApiBadRequestResponse({ description: `A malformed file id, a type not allowed, fewer than 17 bytes, or a body that does not match its Content-Length; ${BAD_CODE_DOC}` })
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiConflictResponse({ description: 'The file id is taken, or the upload would exceed FILE_QUOTA_MB_PER_USER (the message says how much is used)' })
  @ApiPayloadTooLargeResponse({ description: `Content-Length over ${LIMITS.fileCiphertextBytes}: refused before the body is read, and the connection closed` })
  @ApiUnsupportedMediaTypeResponse({ description: `A body that is not ${FILE_BODY_TYPE}` })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  @ApiServiceUnavailableResponse({ description: STORAGE_DOWN })
  async upload(
    @Param('code', RoomCodePipe) code: string,
    @Upload() { fileId, mime, bytes }: AdmittedUpload,
    @CurrentUserId() userId: string,
    @Req() body: Request,
  ): Promise<FileUploadResult> {
    return this.files.upload({ code, uploaderId: userId, fileId, mime, bytes, body });
  }

  @Post(API_PATHS.rooms.fileLink)
  @HttpCode(200)
  @ApiOperation({ summary: 'A download link for a file a message in this room carries, for a member who may read that message' })
  @ApiFileIdParam()
  @ApiOkResponse({ type: FileLinkDto, description: 'A link valid for FILE_LINK_TTL_SECONDS; ask again after expiresAt' })
  @ApiBadRequestResponse({ description: `A malformed file id; ${BAD_CODE_DOC}` })
  @ApiNotFoundResponse({ description: `${NOT_IN_ROOM_DOC}; or no file this member may read here (unknown, pending, another room’s, or before their join in a "joined" room): one answer for all` })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  @ApiServiceUnavailableResponse({ description: STORAGE_DOWN })
  link(@Param('code', RoomCodePipe) code: string, @Param('fileId', FileIdPipe) fileId: string, @CurrentUserId() userId: string): Promise<FileLink> {
    return this.files.link(code, userId, fileId);
  }

  @Get(API_PATHS.rooms.files)
  @ApiOperation({ summary: 'What the files the room’s messages carry take' })
  @ApiOkResponse({ type: RoomFileUsageDto, description: 'Ciphertext bytes' })
  @ApiBadRequestResponse({ description: BAD_CODE_DOC })
  @ApiNotFoundResponse({ description: NOT_IN_ROOM_DOC })
  @ApiRetryLaterResponse(TOO_MANY_PROBES)
  usage(@Param('code', RoomCodePipe) code: string, @CurrentUserId() userId: string): Promise<RoomFileUsage> {
    return this.files.roomUsage(code, userId);
  }
}
