import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, Length } from 'class-validator';
import { EXAMPLE } from '../../common/api-docs';
import { IsId } from '../../common/ids';
import { IsDisplayName, trimmed } from '../../common/text';
import { ChatMemberDto } from '../../inbox/dto/chat.dto';

/** Ids a single request may name: bigger groups are built in steps, each bounded. */
export const MAX_IDS_PER_REQUEST = 100;

export class GroupNameDto {
  @ApiProperty({ example: 'Team', minLength: 1, maxLength: 128 })
  @Transform(trimmed)
  @IsString()
  @Length(1, 128)
  @IsDisplayName()
  name: string;
}

export class CreateGroupDto extends GroupNameDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    example: [EXAMPLE.bobId, EXAMPLE.carolId],
    description: `Other members (at most ${MAX_IDS_PER_REQUEST} per request); the creator is added as owner`,
  })
  @IsArray()
  @ArrayMaxSize(MAX_IDS_PER_REQUEST)
  @IsId({ each: true })
  memberIds: string[];
}

export class AddMembersDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    example: [EXAMPLE.carolId],
    description: `At most ${MAX_IDS_PER_REQUEST} per request`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_IDS_PER_REQUEST)
  @IsId({ each: true })
  userIds: string[];
}

export class SetRoleDto {
  @ApiProperty({ enum: ['admin', 'member'], example: 'admin' })
  @IsIn(['admin', 'member'])
  role: 'admin' | 'member';
}

export class GroupDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.groupId })
  id: string;
  @ApiProperty({
    format: 'uuid',
    example: EXAMPLE.chatId,
    description: "The group's chat (messages, history)",
  })
  chatId: string;
  @ApiProperty({ example: 'Team' })
  name: string;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: EXAMPLE.aliceId,
    description: 'Who created it (the first owner)',
  })
  creatorId: string | null;
  @ApiProperty({
    type: [ChatMemberDto],
    required: false,
    description: 'Every member, when there are at most 100; otherwise page GET /groups/{id}/members',
  })
  members?: ChatMemberDto[];
  @ApiProperty({ example: 3 })
  memberCount: number;
  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  createdAt: string;
}
