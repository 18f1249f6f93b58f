import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Min, ValidateNested } from 'class-validator';

/** Request and response bodies of `/api/v1/accounts` and `/api/v1/users`: validated at the edge, documented in OpenAPI. */

const ROLES = ['owner', 'member'] as const;

export class OwnerDto {
  @ApiProperty()
  @IsString()
  username!: string;

  @ApiProperty()
  @IsString()
  password!: string;
}

export class CreateAccountDto {
  @ApiProperty({ description: '1-64 lowercase letters, digits or "-"' })
  @IsString()
  name!: string;

  @ApiProperty({ type: OwnerDto, description: 'the account owner to create with it' })
  @IsObject()
  @ValidateNested()
  @Type(() => OwnerDto)
  owner!: OwnerDto;

  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'organizations the account may create; null: the default' })
  @IsOptional()
  @IsInt()
  @Min(0)
  orgQuota?: number | null;
}

export class UpdateAccountDto {
  @ApiPropertyOptional({ type: 'integer', nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  orgQuota?: number | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class AccountDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer', nullable: true }) orgQuota!: number | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() userCount!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class AccountPageDto {
  @ApiProperty({ type: [AccountDto] }) items!: AccountDto[];
  @ApiProperty() total!: number;
}

export class CreateUserDto {
  @ApiProperty()
  @IsString()
  username!: string;

  @ApiProperty()
  @IsString()
  password!: string;

  @ApiPropertyOptional({ enum: ROLES, default: 'member' })
  @IsOptional()
  @IsIn(ROLES)
  role?: 'owner' | 'member';
}

export class UpdateUserDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: 'owner' | 'member';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  password?: string;
}

export class UserDto {
  @ApiProperty() id!: string;
  @ApiProperty() accountId!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ROLES }) role!: string;
  @ApiProperty() isAdmin!: boolean;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class UserPageDto {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
  @ApiProperty() total!: number;
}
