import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/page-query.dto';
import { UserEntity } from '../../users/user.entity';

export class UserDto {
  @ApiProperty({ format: 'uuid', example: '7f1e2d3c-4b5a-4c6d-8e9f-0a1b2c3d4e5f' })
  id: string;
  @ApiProperty({ example: 'alice@example.com' })
  email: string;
  @ApiProperty({ example: 'alice' })
  username: string;
  @ApiProperty({ example: 'Alice Liddell' })
  displayName: string;
  @ApiProperty({ description: 'At least one connected socket on any instance' })
  online: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastSeenAt: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  static from(user: UserEntity, online: boolean): UserDto {
    return {
      id: user.id,
      email: user.email,
      username: user.username,
      displayName: user.displayName,
      online,
      lastSeenAt: user.lastSeenAt ? new Date(user.lastSeenAt).toISOString() : null,
      createdAt: new Date(user.createdAt).toISOString(),
    };
  }
}

export class UserListDto {
  @ApiProperty({ type: [UserDto] })
  items: UserDto[];
  @ApiProperty({ example: 3 })
  total: number;
}

export class UserSearchQueryDto extends PageQueryDto {
  @ApiProperty({
    required: false,
    description: 'Matches username or display name (case-insensitive)',
    example: 'ali',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  search?: string;
}
