import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { EXAMPLE } from '../../common/api-docs';
import { OptionalDisplayName, trimmed } from '../../common/text';
import { UserDto } from '../../profiles/dto/user.dto';
import { IsAcceptablePassword, PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS } from '../password-policy';

const trimLower = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export class RegisterDto {
  @ApiProperty({ example: 'dave@example.com', maxLength: 254 })
  @Transform(trimLower)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({
    example: 'dave',
    description: '3-32 letters, digits or underscores; case-insensitive',
    pattern: '^[A-Za-z0-9_]{3,32}$',
  })
  @Transform(trimLower)
  @IsString()
  @Matches(/^[a-z0-9_]{3,32}$/, { message: 'username must be 3-32 letters, digits or underscores' })
  username: string;

  @ApiProperty({
    example: 'correct-horse-battery',
    minLength: PASSWORD_MIN_CHARS,
    description: `At least ${PASSWORD_MIN_CHARS} characters and at most ${PASSWORD_MAX_BYTES} bytes (UTF-8); not the username or email; not one of the 10,000 most common passwords`,
  })
  @IsAcceptablePassword()
  password: string;

  @ApiProperty({
    required: false,
    example: 'Dave',
    maxLength: 64,
    description: 'Defaults to the username; no control, bidi-override or invisible characters',
  })
  @OptionalDisplayName()
  displayName?: string;
}

export class LoginDto {
  @ApiProperty({ example: 'alice', description: 'Email or username' })
  @IsString()
  @Length(1, 254)
  login: string;

  @ApiProperty({ example: 'alice-password' })
  @IsString()
  @Length(1, 128)
  password: string;

  @ApiProperty({ required: false, example: 'Firefox on laptop', maxLength: 64 })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @Length(1, 64)
  deviceName?: string;
}

export class RefreshDto {
  @ApiProperty({
    required: false,
    example: EXAMPLE.refreshToken,
    description: 'Omit it to use the refresh_token cookie (X-Refresh-Cookie flow)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  refreshToken?: string;
}

export class TokensDto {
  @ApiProperty({
    description: 'JWT; send as "Authorization: Bearer <token>" and as the Socket.IO handshake auth.token',
    example: EXAMPLE.accessToken,
  })
  accessToken: string;
  @ApiProperty({
    required: false,
    description:
      'Opaque, single use: every refresh returns a new one. Absent when it was set as a cookie instead',
    example: EXAMPLE.refreshToken,
  })
  refreshToken?: string;
}

export class AuthResponseDto extends TokensDto {
  @ApiProperty({ type: UserDto })
  user: UserDto;
}

export class SessionDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.sessionId })
  id: string;
  @ApiProperty({ example: 'Firefox on laptop' })
  deviceName: string;
  @ApiProperty({ example: '203.0.113.7' })
  ip: string;
  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  createdAt: string;
  @ApiProperty({ format: 'date-time', example: EXAMPLE.later, description: 'The last login or refresh' })
  lastUsedAt: string;
  @ApiProperty({ description: 'The session of the token making this request', example: true })
  current: boolean;
}
