import { type KeyBox, type KeyRequestRequest, type KeyShareRequest, type NewEpochRequest, ROOM_MEMBERS_MAX } from '@conclave/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsUUID, Matches, Min, ValidateNested } from 'class-validator';
import { Base64Bytes } from '../realtime/base64-bytes.js';

/** Every room-scoped event names its room by id. */
export class RoomIdDto implements KeyRequestRequest {
  @IsUUID('all', { message: 'roomId must be a UUID' })
  roomId!: string;
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

export class NewEpochDto extends KeyShareDto implements NewEpochRequest {
  @IsInt({ message: 'epoch must be a positive integer' })
  @Min(1, { message: 'epoch must be a positive integer' })
  epoch!: number;
}
