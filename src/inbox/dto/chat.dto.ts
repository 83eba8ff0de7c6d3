import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import { EXAMPLE } from '../../common/api-docs';
import { IsId } from '../../common/ids';
import { MessageDto } from '../../messages/dto/message.dto';

export class ChatMemberDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.bobId })
  userId: string;
  @ApiProperty({
    enum: ['owner', 'admin', 'member'],
    example: 'member',
    description: 'Direct and saved chats: every member is a `member`',
  })
  role: 'owner' | 'admin' | 'member';
}

export class ChatDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.chatId })
  id: string;
  @ApiProperty({ enum: ['direct', 'group', 'saved'], example: 'direct' })
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
  @ApiProperty({ example: 2 })
  memberCount: number;
  @ApiProperty({ example: 17, description: 'The seq of the newest message (0: none yet)' })
  lastSeq: number;
  @ApiProperty({ type: MessageDto, nullable: true })
  lastMessage: MessageDto | null;
  @ApiProperty({
    example: 2,
    description: "The caller's unread messages from others (deleted and service messages excluded)",
  })
  unreadCount: number;
  @ApiProperty({
    example: 15,
    description: 'Every member has read up to this seq: messages with seq <= readAllSeq are `read`',
  })
  readAllSeq: number;
  @ApiProperty({
    example: false,
    description: "You muted this chat: no notifications from it (Telegram, the web client's)",
  })
  muted: boolean;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: null,
    description: 'The group, for a group chat; null otherwise',
  })
  groupId: string | null;
  @ApiProperty({ format: 'date-time', example: EXAMPLE.later, description: 'The last activity' })
  updatedAt: string;
}

export class ChatMembersPageDto {
  @ApiProperty({ type: [ChatMemberDto], description: 'Longest-standing first' })
  items: ChatMemberDto[];
  @ApiProperty({ example: 250, description: 'Members in all' })
  total: number;
}

export class UpdateChatDto {
  @ApiProperty({ example: true, description: 'Mute (true) or unmute (false) the chat for yourself' })
  @IsBoolean()
  muted: boolean;
}

export class OpenDirectChatDto {
  @ApiProperty({
    format: 'uuid',
    example: EXAMPLE.bobId,
    description: 'The other user; your own id opens your "saved messages" chat',
  })
  @IsId()
  userId: string;
}
