import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { QueryInt } from '../../common/query-int';
import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { EXAMPLE } from '../../common/api-docs';
import { trimmed } from '../../common/text';
import type { MessageType, SystemEvent } from '../message.entity';
import type { Message } from '../messages.repository';

export const MAX_TEXT_CHARS = 4096;
export const MAX_SEQ = 2_147_483_647;
export const CLIENT_MSG_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** 1-4096 characters (already trimmed), counted as PostgreSQL counts them (code points, not UTF-16 units). */
export function isMessageText(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  // Fast path: a string of at most 4096 UTF-16 units has at most 4096 code points.
  if (value.length <= MAX_TEXT_CHARS) return true;
  return value.length <= 2 * MAX_TEXT_CHARS && [...value].length <= MAX_TEXT_CHARS;
}

@ValidatorConstraint({ name: 'messageText' })
class MessageTextConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return isMessageText(value);
  }
  defaultMessage(): string {
    return `text must be a string of 1 to ${MAX_TEXT_CHARS} characters after trimming`;
  }
}

export class MessageTextDto {
  @ApiProperty({ example: 'Hello, Bob!', minLength: 1, maxLength: MAX_TEXT_CHARS })
  @Transform(trimmed)
  @Validate(MessageTextConstraint)
  text: string;
}

export class SendMessageDto extends MessageTextDto {
  @ApiProperty({
    example: '5b1f7e0e-2b8e-4c1a-9b0e-1f2d3c4b5a69',
    description:
      'Chosen by the client, 1-64 of [A-Za-z0-9_-]; resending the same one never creates a second message',
    pattern: '^[A-Za-z0-9_-]{1,64}$',
  })
  @IsString()
  @Matches(CLIENT_MSG_ID, { message: 'clientMsgId must be 1-64 characters of [A-Za-z0-9_-]' })
  clientMsgId: string;
}

export class MarkReadDto {
  @ApiProperty({
    example: 42,
    minimum: 0,
    description: 'Everything up to and including this seq has been read',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  seq: number;
}

export class HistoryQueryDto {
  @ApiProperty({ required: false, minimum: 1, maximum: 100, default: 50, example: 50 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 50;

  @ApiProperty({
    required: false,
    minimum: 0,
    description: 'Messages to skip from the oldest (0 = the first message)',
  })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  offset?: number;

  @ApiProperty({
    required: false,
    minimum: 1,
    description: 'The page right before this seq (newest page: lastSeq + 1)',
  })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(MAX_SEQ)
  beforeSeq?: number;

  @ApiProperty({
    required: false,
    minimum: 0,
    description: 'The messages after this seq (catch-up after a reconnect)',
  })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  afterSeq?: number;
}

export class SystemEventDto {
  @ApiProperty({
    enum: ['group_created', 'members_added', 'member_removed', 'member_left', 'group_renamed'],
    example: 'members_added',
  })
  event: SystemEvent['event'];
  @ApiProperty({ format: 'uuid', example: EXAMPLE.aliceId, description: 'Who did it' })
  actorId: string;
  @ApiProperty({
    required: false,
    type: [String],
    format: 'uuid',
    example: [EXAMPLE.carolId],
    description: 'Who was added or removed',
  })
  userIds?: string[];
  @ApiProperty({
    required: false,
    example: 'Team',
    description: 'The new name (group_renamed) or the name (group_created)',
  })
  name?: string;
}

export class MessageDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.messageId })
  id: string;
  @ApiProperty({ format: 'uuid', example: EXAMPLE.chatId })
  chatId: string;
  @ApiProperty({ example: 17, description: 'Per chat: 1, 2, 3, ... in commit order, without gaps' })
  seq: number;
  @ApiProperty({ format: 'uuid', example: EXAMPLE.aliceId })
  senderId: string;
  @ApiProperty({ example: '5b1f7e0e-2b8e-4c1a-9b0e-1f2d3c4b5a69' })
  clientMsgId: string;
  @ApiProperty({
    enum: ['text', 'system'],
    example: 'text',
    description:
      'system: a service message ("Alice added Carol"); its `system` says what happened, `text` is null',
  })
  type: MessageType;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Hello, Bob!',
    description: 'null once deleted, and for service messages',
  })
  text: string | null;
  @ApiProperty({
    type: SystemEventDto,
    nullable: true,
    example: null,
    description:
      'For service messages: the event, its actor and the users or name it concerns; null otherwise',
  })
  system: SystemEvent | null;
  @ApiProperty({ format: 'date-time', example: EXAMPLE.later })
  createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  editedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  deletedAt: string | null;
  @ApiProperty({
    example: false,
    description: 'Every member other than the sender has read it (seq <= readAllSeq)',
  })
  read: boolean;
}

export class HistoryPageDto {
  @ApiProperty({ type: [MessageDto], description: 'Oldest first' })
  items: MessageDto[];
  @ApiProperty({
    example: true,
    description: 'More messages exist in the direction of the query (older for beforeSeq, newer otherwise)',
  })
  hasMore: boolean;
}

export class ReceiptDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.chatId })
  chatId: string;
  @ApiProperty({ format: 'uuid', example: EXAMPLE.bobId, description: 'Whose read mark' })
  userId: string;
  @ApiProperty({ example: 42, description: 'This member has read up to this seq' })
  lastReadSeq: number;
  @ApiProperty({ example: 40, description: 'The lowest read mark over all members' })
  readAllSeq: number;
}

export function toMessageDto(message: Message, readAllSeq: number): MessageDto {
  return {
    id: message.id,
    chatId: message.chatId,
    seq: message.seq,
    senderId: message.senderId,
    clientMsgId: message.clientMsgId,
    type: message.type,
    text: message.text,
    system: message.system,
    createdAt: message.createdAt.toISOString(),
    editedAt: message.editedAt?.toISOString() ?? null,
    deletedAt: message.deletedAt?.toISOString() ?? null,
    read: message.seq <= readAllSeq,
  };
}
