import { ApiProperty } from '@nestjs/swagger';
import { ALLOWED_FILE_TYPES, type AllowedMimeType, type FileLink, type FileUploadResult, type RoomFileUsage, type UserFileUsage } from '@conclave/contracts';

const MIME_TYPES = [...new Set(Object.values(ALLOWED_FILE_TYPES))];

export class FileUploadResultDto implements FileUploadResult {
  @ApiProperty({ format: 'uuid', description: 'The id the browser made for the file' })
  fileId!: string;

  @ApiProperty({ type: 'integer', description: 'Ciphertext bytes stored', example: 20_480 })
  bytes!: number;

  @ApiProperty({ enum: MIME_TYPES, description: 'The declared type (metadata: the bytes are opaque)' })
  mime!: AllowedMimeType;

  @ApiProperty({ format: 'date-time', description: 'Removed at this time unless a stored message carries the file by then' })
  pendingUntil!: string;
}

export class FileLinkDto implements FileLink {
  @ApiProperty({
    description: 'GET it until expiresAt: the local driver’s /api/files/{fileId}?expires=…&sig=… (with the session cookie), or a signed bucket URL',
    example: '/api/files/0a0b0c0d-1e1f-4a4b-8c8d-9e9f0a0b0c0d?expires=1796315500&sig=…',
  })
  url!: string;

  @ApiProperty({ format: 'date-time', description: 'After it, ask for a new link' })
  expiresAt!: string;
}

export class RoomFileUsageDto implements RoomFileUsage {
  @ApiProperty({ type: 'integer', description: "Files carried by the room's messages", example: 2 })
  files!: number;

  @ApiProperty({ type: 'integer', description: 'Their ciphertext bytes', example: 40_960 })
  bytes!: number;
}

export class UserFileUsageDto implements UserFileUsage {
  @ApiProperty({ type: 'integer', description: "Ciphertext bytes of the caller's uploads (pending ones included) in rooms that still exist", example: 40_960 })
  usedBytes!: number;

  @ApiProperty({ type: 'integer', description: 'FILE_QUOTA_MB_PER_USER in bytes', example: 104_857_600 })
  quotaBytes!: number;
}
