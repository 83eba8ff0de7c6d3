import { ApiProperty } from '@nestjs/swagger';
import { IsId } from '../../common/ids';
import { MessageDto } from '../../messages/dto/message.dto';

export class ChatMemberDto {
  @ApiProperty({ format: 'uuid' })
  userId: string;
  @ApiProperty({ enum: ['owner', 'admin', 'member'] })
  role: 'owner' | 'admin' | 'member';
}

export class ChatDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ enum: ['direct', 'group', 'saved'] })
  type: 'direct' | 'group' | 'saved';
  @ApiProperty({
    example: 'Bob',
    description: 'The other user (direct), the group name, or "Saved messages"',
  })
  title: string;
  @ApiProperty({
    type: [ChatMemberDto],
    required: false,
    description: 'Every member, when the chat has at most 100; bigger groups: page GET /groups/{id}/members',
  })
  members?: ChatMemberDto[];
  @ApiProperty({ example: 3 })
  memberCount: number;
  @ApiProperty({ example: 17 })
  lastSeq: number;
  @ApiProperty({ type: MessageDto, nullable: true })
  lastMessage: MessageDto | null;
  @ApiProperty({
    example: 2,
    description: "The caller's unread messages from others (deleted ones excluded)",
  })
  unreadCount: number;
  @ApiProperty({ example: 15 })
  readAllSeq: number;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  groupId: string | null;
  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class ChatMembersPageDto {
  @ApiProperty({ type: [ChatMemberDto], description: 'Longest-standing first' })
  items: ChatMemberDto[];
  @ApiProperty({ example: 250 })
  total: number;
}

export class OpenDirectChatDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The other user; your own id opens your "saved messages" chat',
  })
  @IsId()
  userId: string;
}
