import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { EXAMPLE } from '../../common/api-docs';
import { PageQueryDto } from '../../common/page-query.dto';
import { OptionalDisplayName } from '../../common/text';
import type { GroupInvites } from '../../users/user.entity';

export class UserDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.aliceId })
  id: string;
  @ApiProperty({ required: false, example: 'alice@example.com', description: 'Only in your own profile' })
  email?: string;
  @ApiProperty({ example: 'alice' })
  username: string;
  @ApiProperty({ example: 'Alice Liddell' })
  displayName: string;
  @ApiProperty({
    type: Boolean,
    nullable: true,
    example: true,
    description:
      'At least one connected socket on any instance. null unless you share a chat with this user (or it is you)',
  })
  online: boolean | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: EXAMPLE.later,
    description: 'null unless you share a chat with this user (or it is you), or they were never online',
  })
  lastSeenAt: string | null;
  @ApiProperty({
    required: false,
    enum: ['everyone', 'contacts'],
    example: 'everyone',
    description: 'Only in your own profile: who may add you to groups',
  })
  groupInvites?: GroupInvites;
  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  createdAt: string;
}

export class UserListDto {
  @ApiProperty({ type: [UserDto] })
  items: UserDto[];
  @ApiProperty({ example: 3, description: 'Matching users in all (items is one page of them)' })
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

export class UpdateProfileDto {
  @ApiProperty({ required: false, example: 'Alice L.', minLength: 1, maxLength: 64 })
  @OptionalDisplayName()
  displayName?: string;

  @ApiProperty({
    required: false,
    enum: ['everyone', 'contacts'],
    example: 'contacts',
    description: 'Who may add you to groups: anyone, or only people you have a direct chat with',
  })
  @IsOptional()
  @IsIn(['everyone', 'contacts'])
  groupInvites?: GroupInvites;
}
