import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, MaxLength } from 'class-validator';
import type { AccessKeyView, CreatedAccessKey, TemporaryLogin } from '@wharf/auth-core';

/** Request and response bodies of `/api/v1/auth` and `/api/v1/access-keys`: validated at the edge, documented in OpenAPI. */

export class LoginDto {
  @ApiProperty({ maxLength: 256 })
  @IsString()
  @MaxLength(256)
  username!: string;

  @ApiProperty({ maxLength: 1024 })
  @IsString()
  @MaxLength(1024)
  password!: string;
}

export class AccessTokenDto {
  @ApiProperty({ description: 'bearer token for /api/v1' })
  accessToken!: string;

  @ApiProperty({ description: 'seconds until it expires' })
  expiresIn!: number;
}

export class MeDto {
  @ApiProperty() id!: string;
  @ApiProperty() username!: string;
  @ApiProperty() accountId!: string;
  @ApiProperty({ enum: ['owner', 'member'] }) role!: string;
  @ApiProperty() isAdmin!: boolean;
}

export class TemporaryLoginRequestDto {
  @ApiPropertyOptional({ description: 'validity in seconds (900 to 86400, default 86400)' })
  @IsOptional()
  @IsInt()
  durationSeconds?: number;
}

export class TemporaryLoginDto implements TemporaryLogin {
  @ApiProperty({ description: '<region>@<username>' }) username!: string;
  @ApiProperty() token!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ description: 'a ready-to-paste docker login command' }) loginCommand!: string;
}

export class CreatedAccessKeyDto implements CreatedAccessKey {
  @ApiProperty() accessKey!: string;
  @ApiProperty({ description: 'shown once' }) secretKey!: string;
  @ApiProperty() loginUsername!: string;
  @ApiProperty() loginCommand!: string;
}

export class AccessKeyDto implements AccessKeyView {
  @ApiProperty() accessKey!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty() loginUsername!: string;
}

export class AccessKeyPageDto {
  @ApiProperty({ type: [AccessKeyDto] }) items!: AccessKeyDto[];
  @ApiProperty() total!: number;
}

export class AccessKeyPatchDto {
  @ApiProperty()
  @IsBoolean()
  enabled!: boolean;
}

export class AccessKeyStateDto {
  @ApiProperty() accessKey!: string;
  @ApiProperty() enabled!: boolean;
}

/** The Docker token endpoint's answer (distribution token authentication and its OAuth2 form). */
export class TokenDto {
  @ApiProperty({ description: 'the registry token (JWT)' }) token!: string;
  @ApiProperty({ description: 'the same token, OAuth2 name' }) access_token!: string;
  @ApiProperty() expires_in!: number;
  @ApiProperty({ format: 'date-time' }) issued_at!: string;
  @ApiPropertyOptional({ description: 'OAuth2 form only, with access_type=offline or grant_type=refresh_token' }) refresh_token?: string;
}

export class JwksDto {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'public JWKs, by kid' })
  keys!: Record<string, unknown>[];
}
