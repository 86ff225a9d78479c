import {
  type EpochAnnouncement,
  KEY_REQUEST_EPOCHS_MAX,
  type KeyBox,
  type KeyRequestRequest,
  type KeyShareRequest,
  type NewEpochRequest,
  ROOM_MEMBERS_MAX,
  BASE64_PATTERN,
  type HistoryRequest,
  LIMITS,
  type MessageEnvelope,
  type ReadRequest,
  type ResyncRequest,
  ROOM_CODE_PATTERN,
} from '@conclave/contracts';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsDefined, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min, ValidateBy, ValidateNested } from 'class-validator';

/** Standard base64 that decodes to min..max bytes (checked on the decoded length, not the text's). */
const Base64Bytes = (min: number, max: number, message: string) =>
  ValidateBy({
    name: 'base64Bytes',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string' || !BASE64_PATTERN.test(value)) return false;
        const bytes = (value.length / 4) * 3 - (value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0);
        return bytes >= min && bytes <= max;
      },
      defaultMessage: () => message,
    },
  });

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
export class SendMessageDto implements MessageEnvelope {
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

  /** The 150-character limit, enforced on ciphertext: at most LIMITS.messageCiphertextBytes. */
  @Base64Bytes(17, LIMITS.messageCiphertextBytes, `ct must be 17 to ${LIMITS.messageCiphertextBytes} bytes of base64`)
  ct!: string;

  @IsString({ message: 'sig must be 64 bytes of base64' })
  @Matches(/^[A-Za-z0-9+/]{86}==$/, { message: 'sig must be 64 bytes of base64' })
  sig!: string;
}

/** Every room-scoped event names its room by id. */
export class RoomIdDto implements KeyRequestRequest {
  @IsUUID('all', { message: 'roomId must be a UUID' })
  roomId!: string;
}

/** key:request: optionally the epochs whose boxes the caller could not use (checked against what they may read). */
export class KeyRequestDto extends RoomIdDto implements KeyRequestRequest {
  @IsOptional()
  @IsArray({ message: 'epochs must be a list of epochs' })
  @ArrayMaxSize(KEY_REQUEST_EPOCHS_MAX, { message: `at most ${KEY_REQUEST_EPOCHS_MAX} epochs` })
  @ArrayUnique({ message: 'epochs must not repeat' })
  @IsInt({ each: true, message: 'epochs must be positive integers' })
  @Min(1, { each: true, message: 'epochs must be positive integers' })
  @Max(2_147_483_647, { each: true, message: 'epochs must be positive integers' })
  epochs?: number[];
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

export class KeyBoxDto implements KeyBox {
  @IsUUID('all', { message: 'box roomId must be a UUID' })
  roomId!: string;

  @IsInt({ message: 'box epoch must be a positive integer' })
  @Min(1, { message: 'box epoch must be a positive integer' })
  epoch!: number;

  @IsUUID('all', { message: 'box recipientId must be a UUID' })
  recipientId!: string;

  @IsUUID('all', { message: 'box sharerId must be a UUID' })
  sharerId!: string;

  /** RSA-OAEP-4096 output: 512 bytes. */
  @Base64Bytes(512, 512, 'box wrapped must be 512 bytes of base64')
  wrapped!: string;

  @Matches(/^[A-Za-z0-9+/]{86}==$/, { message: 'box sig must be 64 bytes of base64' })
  sig!: string;
}

export class KeyShareDto extends RoomIdDto implements KeyShareRequest {
  @IsArray({ message: 'boxes must be a list of key boxes' })
  @ArrayMinSize(1, { message: 'boxes must not be empty' })
  @ArrayMaxSize(ROOM_MEMBERS_MAX, { message: `at most ${ROOM_MEMBERS_MAX} boxes` })
  @ValidateNested({ each: true })
  @Type(() => KeyBoxDto)
  boxes!: KeyBoxDto[];
}

/** An epoch's signed key commitment: shapes only here; the keys service checks it belongs and verifies the signature. */
export class EpochAnnouncementDto implements EpochAnnouncement {
  @IsUUID('all', { message: 'announcement roomId must be a UUID' })
  roomId!: string;

  @IsInt({ message: 'announcement epoch must be a positive integer' })
  @Min(1, { message: 'announcement epoch must be a positive integer' })
  @Max(2_147_483_647, { message: 'announcement epoch must be a positive integer' })
  epoch!: number;

  @IsUUID('all', { message: 'announcement makerId must be a UUID' })
  makerId!: string;

  @Base64Bytes(32, 32, 'announcement commit must be 32 bytes of base64')
  commit!: string;

  @Matches(/^[A-Za-z0-9+/]{86}==$/, { message: 'announcement sig must be 64 bytes of base64' })
  sig!: string;
}

export class NewEpochDto extends KeyShareDto implements NewEpochRequest {
  @IsInt({ message: 'epoch must be a positive integer' })
  @Min(1, { message: 'epoch must be a positive integer' })
  epoch!: number;

  @IsDefined({ message: 'announcement must be the epoch\'s signed key commitment' })
  @ValidateNested()
  @Type(() => EpochAnnouncementDto)
  announcement!: EpochAnnouncementDto;
}
