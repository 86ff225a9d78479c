import { ROOM_CODE_PATTERN } from '@conclave/contracts';
import { Transform } from 'class-transformer';
import { IsBoolean, IsString, Matches } from 'class-validator';

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
