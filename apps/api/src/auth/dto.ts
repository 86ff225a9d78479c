import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { ChangePasswordRequest, KeyBackup, KeyBackupRequest, LoginRequest, PublicKeys, RegisterRequest } from '@conclave/contracts';
import { BASE64_PATTERN as BASE64, CONTACT_BOOK_MAX_BYTES, type SealedContactBook, USERNAME_PATTERN } from '@conclave/contracts';
import { Transform, Type } from 'class-transformer';
import { Equals, IsDefined, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';

/** base64 of exactly 32 bytes (an authKey). */
const AUTH_KEY = /^[A-Za-z0-9+/]{43}=$/;
const lowercase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class PublicKeysDto implements PublicKeys {
  @ApiProperty({ description: 'RSA-OAEP-4096 public key, SPKI DER, base64' })
  @IsString()
  @MaxLength(1024)
  @Matches(BASE64, { message: 'enc must be base64' })
  enc!: string;

  @ApiProperty({ description: 'ECDSA P-256 public key, SPKI DER, base64' })
  @IsString()
  @MaxLength(256)
  @Matches(BASE64, { message: 'sig must be base64' })
  sig!: string;
}

/** The version and IV of something sealed under wrapKey ({v: 1, iv, ct}); `field` names it in errors. */
const IsSealedVersion = (field: string) => applyDecorators(ApiProperty({ enum: [1] }), Equals(1, { message: `${field}v must be 1` }));
const IsSealedIv = (field: string) =>
  applyDecorators(ApiProperty({ description: '12 bytes, base64' }), Matches(/^[A-Za-z0-9+/]{16}$/, { message: `${field}iv must be 12 bytes of base64` }));

export class KeyBackupDto implements KeyBackup {
  @IsSealedVersion('keyBackup.')
  v!: 1;

  @IsSealedIv('keyBackup.')
  iv!: string;

  @ApiProperty({ description: 'AES-256-GCM ciphertext of both private keys, base64' })
  @IsString()
  @MaxLength(8192)
  @Matches(BASE64, { message: 'keyBackup.ct must be base64' })
  ct!: string;
}

/** PUT /api/auth/contacts: the contact book, sealed in the browser (the server cannot read it). */
export class SealedContactBookDto implements SealedContactBook {
  @IsSealedVersion('')
  v!: 1;

  @IsSealedIv('')
  iv!: string;

  @ApiProperty({ description: `AES-256-GCM ciphertext of the contact book, base64, at most ${CONTACT_BOOK_MAX_BYTES} bytes` })
  @IsString()
  @MaxLength((CONTACT_BOOK_MAX_BYTES / 3) * 4, { message: `ct must be at most ${CONTACT_BOOK_MAX_BYTES} bytes` })
  @Matches(BASE64, { message: 'ct must be base64' })
  ct!: string;
}

/** A client-derived credential field: base64 of exactly 32 bytes. */
const IsAuthKey = (field: string) => applyDecorators(IsString(), Matches(AUTH_KEY, { message: `${field} must be base64 of 32 bytes` }));

/** A sealed key backup field (see KeyBackupDto). */
const IsKeyBackup = (field: string) =>
  applyDecorators(IsDefined({ message: `${field} is required` }), ValidateNested(), Type(() => KeyBackupDto));

export class LoginDto implements LoginRequest {
  @ApiProperty({ example: 'alice', description: '3-32 of a-z 0-9 _ . - (lowercased)' })
  @Transform(lowercase)
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-32 characters of a-z, 0-9, _, . and -' })
  username!: string;

  @ApiProperty({ description: 'The client-derived credential: base64 of 32 bytes' })
  @IsAuthKey('authKey')
  authKey!: string;
}

export class RegisterDto extends LoginDto implements RegisterRequest {
  @ApiProperty({ format: 'uuid', description: 'Chosen by the client; the key backup is bound to it' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId!: string;

  @ApiProperty({ type: PublicKeysDto })
  @IsDefined({ message: 'publicKeys is required' })
  @ValidateNested()
  @Type(() => PublicKeysDto)
  publicKeys!: PublicKeysDto;

  @ApiProperty({ type: KeyBackupDto })
  @IsKeyBackup('keyBackup')
  keyBackup!: KeyBackupDto;

  @ApiProperty({ description: 'The ALTCHA payload or the reCAPTCHA token' })
  @IsString({ message: 'captcha is required' })
  @MaxLength(16384)
  captcha!: string;
}

export class KeyBackupRequestDto implements KeyBackupRequest {
  @ApiProperty({ description: 'The current credential: base64 of 32 bytes' })
  @IsAuthKey('authKey')
  authKey!: string;
}

export class ChangePasswordDto implements ChangePasswordRequest {
  @ApiProperty()
  @IsAuthKey('currentAuthKey')
  currentAuthKey!: string;

  @ApiProperty()
  @IsAuthKey('newAuthKey')
  newAuthKey!: string;

  @ApiProperty({ type: KeyBackupDto })
  @IsKeyBackup('newKeyBackup')
  newKeyBackup!: KeyBackupDto;

  @ApiProperty({ type: SealedContactBookDto, required: false, description: 'The contact book re-sealed under the new wrapKey; without it a stored book is deleted' })
  @IsOptional()
  @ValidateNested()
  @Type(() => SealedContactBookDto)
  newContactBook?: SealedContactBookDto;
}
