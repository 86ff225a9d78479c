import { ApiProperty } from '@nestjs/swagger';
import {
  API_TOKEN_MAX_DAYS,
  API_TOKEN_NAME_MAX,
  API_TOKEN_PATTERN,
  API_TOKEN_SCOPES,
  type ApiTokenScope,
  type ApiTokenSummary,
  type CreateApiTokenRequest,
  type CreatedApiToken,
} from '@conclave/contracts';
import { Transform } from 'class-transformer';
import { Checked, isoTimeProblem } from '../common/admin-query.js';

const DAY_MS = 86_400_000;
const SCOPES_MESSAGE = `scopes must be a non-empty list of distinct scopes from: ${API_TOKEN_SCOPES.join(', ')}`;

export class CreateApiTokenDto implements CreateApiTokenRequest {
  @ApiProperty({ description: 'What the token is for (shown in the list)', example: 'Provisioning script', minLength: 1, maxLength: API_TOKEN_NAME_MAX })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @Checked('isTokenName', (name) => {
    if (typeof name !== 'string') return 'name is required: what the token is for';
    if (!name) return 'name must not be empty';
    return name.length > API_TOKEN_NAME_MAX ? `name must be at most ${API_TOKEN_NAME_MAX} characters` : undefined;
  })
  name!: string;

  @ApiProperty({ enum: API_TOKEN_SCOPES, isArray: true, minItems: 1, uniqueItems: true, description: 'What the token may do', example: ['rooms:read', 'users:read'] })
  @Checked('isScopeList', (scopes) => {
    if (!Array.isArray(scopes) || !scopes.length) return SCOPES_MESSAGE;
    const unknown = scopes.find((scope) => !(API_TOKEN_SCOPES as readonly unknown[]).includes(scope));
    if (unknown !== undefined) return `scopes: ${JSON.stringify(unknown)} is not a scope (${API_TOKEN_SCOPES.join(', ')})`;
    return new Set(scopes).size < scopes.length ? 'scopes must not name a scope twice' : undefined;
  })
  scopes!: ApiTokenScope[];

  @ApiProperty({
    format: 'date-time',
    description: `When the token stops working: required, in the future and at most ${API_TOKEN_MAX_DAYS} days away`,
    example: '2027-01-31T00:00:00Z',
  })
  @Checked('isTokenExpiry', (expiresAt) => {
    const problem = isoTimeProblem('expiresAt', expiresAt);
    if (problem) return problem;
    const ms = Date.parse(expiresAt as string);
    if (ms <= Date.now()) return 'expiresAt must be in the future';
    return ms > Date.now() + API_TOKEN_MAX_DAYS * DAY_MS ? `expiresAt must be at most ${API_TOKEN_MAX_DAYS} days from now` : undefined;
  })
  expiresAt!: string;
}

export class ApiTokenCreatorDto {
  @ApiProperty({ format: 'uuid', example: '3f2c9a4e-8b1d-4c6e-9a7f-2d5b8e1c4a90' })
  id!: string;

  @ApiProperty({ example: 'alice' })
  username!: string;
}

export class ApiTokenSummaryDto implements ApiTokenSummary {
  @ApiProperty({ format: 'uuid', example: '5b7e0c1d-2a3f-4b6c-9d8e-7f6a5b4c3d2e' })
  id!: string;

  @ApiProperty({ example: 'Provisioning script' })
  name!: string;

  @ApiProperty({ enum: API_TOKEN_SCOPES, isArray: true, example: ['rooms:read', 'users:read'] })
  scopes!: ApiTokenScope[];

  @ApiProperty({ type: ApiTokenCreatorDto, description: 'The admin who made it: the token works only while they are an enabled admin' })
  createdBy!: ApiTokenCreatorDto;

  @ApiProperty({ format: 'date-time', example: '2026-01-31T09:15:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2027-01-31T00:00:00.000Z' })
  expiresAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Updated at most once a minute', example: '2026-02-01T10:00:00.000Z' })
  lastUsedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The address of that use', example: '203.0.113.7' })
  lastUsedIp!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  revokedAt!: string | null;

  @ApiProperty({ description: 'Usable now: not revoked, not expired, its creator still an enabled admin', example: true })
  active!: boolean;
}

export class CreatedApiTokenDto extends ApiTokenSummaryDto implements CreatedApiToken {
  @ApiProperty({
    description: 'The token, shown this once (only a hash of its secret is kept): send it as "Authorization: Bearer <token>"',
    pattern: API_TOKEN_PATTERN.source,
    example: 'cnk_5b7e0c1d2a3f4b6c9d8e7f6a5b4c3d2e_q8Yv2LmR0sXhT4nWc7JbE1uKzP9aGd3fNo6iQy5VtHw',
  })
  token!: string;
}
