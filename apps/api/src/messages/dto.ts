import {
  type DeleteMessageRequest,
  FILE_ID_PATTERN,
  type HistoryRequest,
  LIMITS,
  messageBounds,
  type ReadRequest,
  type ResyncRequest,
  ROOM_CODE_PATTERN,
  type SendMessageRequest,
} from '@conclave/contracts';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { Base64Bytes } from '../realtime/base64-bytes.js';
import { RoomIdDto } from '../rooms/keys.dto.js';

const CT_MAX_BYTES = messageBounds(LIMITS.messageBodyCharsMax).ciphertextBytes;

const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);

export class RoomRefDto {
  @Transform(upper)
  @IsString({ message: 'code must be a room code' })
  @Matches(ROOM_CODE_PATTERN, { message: 'code must be a 4-character room code' })
  code!: string;
}

export class TypingDto extends RoomRefDto {
  @IsBoolean({ message: 'typing must be true or false' })
  typing!: boolean;
}

/** The envelope as the sender submits it: shapes and sizes only (the server cannot check content). */
export class SendMessageDto implements SendMessageRequest {
  @IsUUID('all', { message: 'roomId must be a UUID' })
  roomId!: string;

  @IsInt({ message: 'epoch must be a positive integer' })
  @Min(1, { message: 'epoch must be a positive integer' })
  @Max(2_147_483_647, { message: 'epoch must be a positive integer' })
  epoch!: number;

  @IsUUID('all', { message: 'clientMsgId must be a UUID' })
  clientMsgId!: string;

  @IsString({ message: 'iv must be 12 bytes of base64' })
  @Matches(/^[A-Za-z0-9+/]{16}$/, { message: 'iv must be 12 bytes of base64' })
  iv!: string;

  /**
   * The protocol's highest bound here; the deployment's own (MESSAGE_MAX_CHARS) is checked by the
   * store, with its own error code ('too-long').
   */
  @Base64Bytes(17, CT_MAX_BYTES, `ct must be 17 to ${CT_MAX_BYTES} bytes of base64`)
  ct!: string;

  @IsString({ message: 'sig must be 64 bytes of base64' })
  @Matches(/^[A-Za-z0-9+/]{86}==$/, { message: 'sig must be 64 bytes of base64' })
  sig!: string;

  /** A file message: the id of the sender's upload it carries (docs/protocol.md §10.2). */
  @IsOptional()
  @IsString({ message: 'fileId must be a lower-case UUID' })
  @Matches(FILE_ID_PATTERN, { message: 'fileId must be a lower-case UUID' })
  fileId?: string;

  /** An edit: the seq of the sender's own text message it replaces (docs/protocol.md §9b). */
  @IsOptional()
  @IsInt({ message: 'editOf must be a sequence number' })
  @Min(1, { message: 'editOf must be a sequence number' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'editOf must be a sequence number' })
  editOf?: number;
}

export class DeleteMessageDto extends RoomIdDto implements DeleteMessageRequest {
  @IsInt({ message: 'seq must be a sequence number' })
  @Min(1, { message: 'seq must be a sequence number' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'seq must be a sequence number' })
  seq!: number;
}

export class HistoryDto extends RoomIdDto implements HistoryRequest {
  @IsOptional()
  @IsInt({ message: 'before must be a sequence number' })
  @Min(1, { message: 'before must be a sequence number' })
  before?: number;
}

export class ResyncDto extends RoomIdDto implements ResyncRequest {
  @IsInt({ message: 'afterSeq must be a sequence number (0 for everything)' })
  @Min(0, { message: 'afterSeq must be a sequence number (0 for everything)' })
  afterSeq!: number;
}

export class ReadDto extends RoomIdDto implements ReadRequest {
  @IsInt({ message: 'seq must be a sequence number' })
  @Min(0, { message: 'seq must be a sequence number' })
  seq!: number;
}
